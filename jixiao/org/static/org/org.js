// The change form shows only the new-value input that belongs to the chosen field.
function syncChangeForm(form) {
  const select = form.querySelector("select[name=field]");
  if (!select) return;
  const wanted = {
    department: "department", manager: "manager_number", position: "position",
    base_salary: "base_salary", work_location: "work_location", status: "status",
    working_hour_system: "working_hour_system",
  }[select.value];
  form.querySelectorAll("[data-change-value]").forEach((input) => {
    const wrapper = input.closest(".field");
    if (wrapper) wrapper.hidden = input.getAttribute("data-change-value") !== wanted;
  });
}
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-change-form]").forEach(syncChangeForm);
});
document.addEventListener("change", (event) => {
  const form = event.target instanceof Element ? event.target.closest("form[data-change-form]") : null;
  if (form) syncChangeForm(form);
});
