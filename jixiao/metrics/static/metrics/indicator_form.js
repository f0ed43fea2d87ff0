// Indicator form: show the ratio pickers, the distinct key or the formula only for the
// aggregation that uses them (the server checks them either way).
(() => {
  const sync = (form) => {
    const select = form.querySelector("select[name=aggregation]");
    if (!select) return;
    form.querySelectorAll("[data-show-for]").forEach((block) => {
      const wanted = block.getAttribute("data-show-for") === select.value;
      const hasError = block.querySelector(".has-error") !== null;
      block.style.display = wanted || hasError ? "" : "none";
    });
  };
  const init = () => {
    document.querySelectorAll("[data-indicator-form]").forEach((form) => {
      sync(form);
      form.addEventListener("change", (event) => {
        if (event.target instanceof HTMLSelectElement && event.target.name === "aggregation") sync(form);
      });
    });
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
