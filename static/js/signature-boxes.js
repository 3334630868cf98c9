// Placing the signature boxes on the request-signature form: choose a signer
// (the "box_for" radios), click on a page preview; the box's top-left corner
// goes where you clicked (kept on the page), in PDF points from the top-left
// of the page as displayed, into that signer's hidden box_page/box_x/box_y.
// Without a click the server uses the default place.
(function () {
  "use strict";

  function number(element, name) {
    return parseFloat(element.getAttribute(name));
  }

  function setUp(form) {
    var pages = form.querySelectorAll(".box-page");
    var markers = {};

    function slotFields(slot) {
      var field = form.querySelector('[data-signer-slot="' + slot + '"]');
      return {
        page: field.querySelector('input[name="box_page"]'),
        x: field.querySelector('input[name="box_x"]'),
        y: field.querySelector('input[name="box_y"]'),
      };
    }

    function pageElement(index) {
      return form.querySelector('.box-page[data-page="' + index + '"]');
    }

    function show(slot) {
      var fields = slotFields(slot);
      if (markers[slot]) {
        markers[slot].remove();
        delete markers[slot];
      }
      if (fields.page.value === "") return;
      var page = pageElement(fields.page.value);
      if (!page) return;
      var width = number(page, "data-width");
      var height = number(page, "data-height");
      var marker = document.createElement("span");
      marker.className = "box-marker";
      marker.textContent = slot;
      marker.style.left = (parseFloat(fields.x.value) / width) * 100 + "%";
      marker.style.top = (parseFloat(fields.y.value) / height) * 100 + "%";
      marker.style.width = (number(page, "data-box-width") / width) * 100 + "%";
      marker.style.height = (number(page, "data-box-height") / height) * 100 + "%";
      page.appendChild(marker);
      markers[slot] = marker;
    }

    function chosenSlot() {
      var radio = form.querySelector('input[name="box_for"]:checked');
      return radio ? radio.value : "1";
    }

    pages.forEach(function (page) {
      var image = page.querySelector("img");
      image.addEventListener("click", function (event) {
        var rect = image.getBoundingClientRect();
        var width = number(page, "data-width");
        var height = number(page, "data-height");
        var boxWidth = number(page, "data-box-width");
        var boxHeight = number(page, "data-box-height");
        var x = ((event.clientX - rect.left) * width) / rect.width;
        var y = ((event.clientY - rect.top) * height) / rect.height;
        x = Math.max(0, Math.min(x, width - boxWidth));
        y = Math.max(0, Math.min(y, height - boxHeight));
        var slot = chosenSlot();
        var fields = slotFields(slot);
        fields.page.value = page.getAttribute("data-page");
        fields.x.value = x.toFixed(2);
        fields.y.value = y.toFixed(2);
        show(slot);
      });
    });

    var clear = form.querySelector("[data-boxes-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        form.querySelectorAll("[data-signer-slot]").forEach(function (field) {
          var slot = field.getAttribute("data-signer-slot");
          var fields = slotFields(slot);
          fields.page.value = fields.x.value = fields.y.value = "";
          show(slot);
        });
      });
    }

    // A form shown again (a refused post) keeps its boxes.
    form.querySelectorAll("[data-signer-slot]").forEach(function (field) {
      show(field.getAttribute("data-signer-slot"));
    });
  }

  document.querySelectorAll("form[data-signature-boxes]").forEach(setUp);
})();
