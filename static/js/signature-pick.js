// The pick page's upload (Activities → New → Signature request, an entity
// chosen): the folder chosen goes with the upload widget's commit
// (static/js/uploader.js), and once the PDF is in, the page goes on to its
// request form, the link the commit answers with (signatures/_uploaded.html).
// Without JavaScript the plain form beside it does the same.
(function () {
  "use strict";

  function setUp(section) {
    var select = section.querySelector('select[name="folder"]');
    var widget = section.querySelector(".uploader");
    var target = section.querySelector("[data-uploaded]");

    function sync() {
      if (!widget) return;
      var fields = { folder: select ? select.value : "" };
      widget.setAttribute("data-commit-fields", JSON.stringify(fields));
    }

    if (select) select.addEventListener("change", sync);
    sync();

    if (!target) return;
    new MutationObserver(function () {
      var next = target.querySelector("a[data-continue]");
      if (next) window.location.assign(next.href);
    }).observe(target, { childList: true, subtree: true });
  }

  document.querySelectorAll("[data-signature-upload]").forEach(setUp);
})();
