// Zoom for the pages of a document shown as images (the sign page): buttons
// set the pages' width to 100%–300% of the card, scrolled sideways when wider;
// past 100% the sharper rendering (data-large) is loaded. Without JavaScript
// the toolbar stays hidden and each page links to its full-size image.
(function () {
  "use strict";
  const LEVELS = [1, 1.5, 2, 3];

  function setUp(toolbar) {
    const pages = toolbar.parentElement.querySelector("[data-zoom-pages]");
    const shown = toolbar.querySelector("[data-zoom-level]");
    if (!pages) return;
    let index = 0;

    function apply() {
      const level = LEVELS[index];
      pages.style.setProperty("--zoom", String(level));
      shown.textContent = Math.round(level * 100) + "%";
      toolbar.querySelector('[data-zoom="out"]').disabled = index === 0;
      toolbar.querySelector('[data-zoom="in"]').disabled = index === LEVELS.length - 1;
      if (level > 1) {
        pages.querySelectorAll("img[data-large]").forEach(function (img) {
          if (img.getAttribute("src") !== img.dataset.large) {
            img.setAttribute("src", img.dataset.large);
          }
        });
      }
    }

    toolbar.addEventListener("click", function (event) {
      const button = event.target.closest("[data-zoom]");
      if (!button) return;
      const action = button.dataset.zoom;
      if (action === "in") index = Math.min(index + 1, LEVELS.length - 1);
      else if (action === "out") index = Math.max(index - 1, 0);
      else index = 0;
      apply();
    });
    toolbar.hidden = false;
    apply();
  }

  document.querySelectorAll("[data-page-zoom]").forEach(setUp);

  // The worker added signatures (the status answer's HX-Trigger): draw the
  // pages again, without reloading the page and what is typed in it.
  document.body.addEventListener("loket:pages-changed", function () {
    const stamp = "v=" + Date.now();
    document.querySelectorAll("[data-zoom-pages] img").forEach(function (img) {
      ["src", "data-large"].forEach(function (name) {
        const value = img.getAttribute(name);
        if (!value) return;
        const base = value.replace(/([?&])v=\d+&?/, "$1").replace(/[?&]$/, "");
        img.setAttribute(name, base + (base.indexOf("?") < 0 ? "?" : "&") + stamp);
      });
    });
  });
})();
