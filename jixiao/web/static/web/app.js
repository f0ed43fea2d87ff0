// Small behaviours without inline scripts (the CSP forbids them).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")) {
    target.form?.submit();
  }
});
document.addEventListener("click", (event) => {
  const toggle = event.target instanceof Element ? event.target.closest("[data-nav-toggle]") : null;
  if (!toggle) return;
  const nav = document.getElementById("sidenav");
  const open = nav?.classList.toggle("open") ?? false;
  toggle.setAttribute("aria-expanded", String(open));
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const nav = document.getElementById("sidenav");
  if (!nav?.classList.contains("open")) return;
  nav.classList.remove("open");
  const toggle = document.querySelector("[data-nav-toggle]");
  toggle?.setAttribute("aria-expanded", "false");
  if (toggle instanceof HTMLElement) toggle.focus();
});
