// Activities: a search box with data-filter-list="<selector>" narrows that
// list as one types (items carry data-search); without JavaScript the form's
// Search button asks the server. Enter in such a box filters, it does not
// submit the step's form.
(function () {
  "use strict";
  function filter(box) {
    var list = document.querySelector(box.getAttribute("data-filter-list"));
    if (!list) { return; }
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    list.querySelectorAll("[data-search]").forEach(function (item) {
      var text = item.getAttribute("data-search");
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      item.hidden = !match && !item.querySelector("input:checked");
    });
  }
  document.querySelectorAll("[data-filter-list]").forEach(function (box) {
    box.addEventListener("input", function () { filter(box); });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && box.form && box.form.id === "file-search") {
        event.preventDefault();
        filter(box);
      }
    });
  });
})();
