// Working-hour rule form: show only the groups that belong to the chosen system.
(function () {
  "use strict";
  function apply(select) {
    var system = select.value;
    document.querySelectorAll("fieldset.schedule-group[data-systems]").forEach(function (group) {
      var systems = group.getAttribute("data-systems");
      group.hidden = systems !== "" && systems.split(" ").indexOf(system) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("select[data-schedule-system]");
    if (!select) return;
    apply(select);
    select.addEventListener("change", function () { apply(select); });
  });
})();
