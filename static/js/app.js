// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // A <select data-autosubmit> submits its form on change (the language selector).
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });

  // <details data-menu> drop-downs: one open at a time, closed by a click outside or Escape.
  const menus = Array.from(document.querySelectorAll("details[data-menu]"));
  menus.forEach((menu) => {
    menu.addEventListener("toggle", () => {
      if (menu.open) menus.filter((other) => other !== menu).forEach((other) => { other.open = false; });
    });
  });
  document.addEventListener("click", (event) => {
    menus.forEach((menu) => { if (menu.open && !menu.contains(event.target)) menu.open = false; });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    menus.forEach((menu) => {
      if (menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
    });
  });
});
