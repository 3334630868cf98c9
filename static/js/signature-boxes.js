// Placing the signature boxes on the request-signature form.
//
// Choose a signer (the "box_for" radios) and click on a page preview: the
// box's top-left corner goes where you clicked. A box is then dragged to
// another place on its page, or resized from its bottom-right corner (mouse,
// pen or touch: pointer events); clicking on another page moves it there.
// With the keyboard, Tab to a box: the arrow keys move it, Shift with the
// arrow keys resizes it. A box stays on its page, at least data-min-width by
// data-min-height, at most the page.
//
// Everything is in PDF points from the top-left of the page as displayed,
// written into that signer's hidden box_page/box_x/box_y/box_width/box_height
// (the server checks them again). Without a box the server uses the default
// place. The translated words come from the form's data-msg-* attributes.
(function () {
  "use strict";

  var STEP = 5; // points per arrow key press

  function number(element, name) {
    return parseFloat(element.getAttribute(name));
  }

  function clamp(value, low, high) {
    return Math.max(low, Math.min(value, high));
  }

  function geometry(page) {
    return {
      width: number(page, "data-width"),
      height: number(page, "data-height"),
      boxWidth: number(page, "data-box-width"),
      boxHeight: number(page, "data-box-height"),
      minWidth: number(page, "data-min-width") || 0,
      minHeight: number(page, "data-min-height") || 0,
    };
  }

  function setUp(form) {
    var markers = {};

    function slotFields(slot) {
      var field = form.querySelector('[data-signer-slot="' + slot + '"]');
      function input(name) {
        return field.querySelector('input[name="' + name + '"]');
      }
      return {
        page: input("box_page"),
        x: input("box_x"),
        y: input("box_y"),
        width: input("box_width"),
        height: input("box_height"),
      };
    }

    function pageElement(index) {
      return form.querySelector('.box-page[data-page="' + index + '"]');
    }

    // The slot's box as placed, or null while it is at the default place.
    function read(slot) {
      var fields = slotFields(slot);
      if (fields.page.value === "") return null;
      var page = pageElement(fields.page.value);
      if (!page) return null;
      var shape = geometry(page);
      var width = parseFloat(fields.width.value);
      var height = parseFloat(fields.height.value);
      return {
        page: page,
        x: parseFloat(fields.x.value) || 0,
        y: parseFloat(fields.y.value) || 0,
        width: isFinite(width) ? width : shape.boxWidth,
        height: isFinite(height) ? height : shape.boxHeight,
      };
    }

    // Keep `box` on its page and within the sizes allowed, then write it.
    function write(slot, box) {
      var shape = geometry(box.page);
      box.width = clamp(box.width, Math.min(shape.minWidth, shape.width), shape.width);
      box.height = clamp(box.height, Math.min(shape.minHeight, shape.height), shape.height);
      box.x = clamp(box.x, 0, shape.width - box.width);
      box.y = clamp(box.y, 0, shape.height - box.height);
      var fields = slotFields(slot);
      fields.page.value = box.page.getAttribute("data-page");
      fields.x.value = box.x.toFixed(2);
      fields.y.value = box.y.toFixed(2);
      fields.width.value = box.width.toFixed(2);
      fields.height.value = box.height.toFixed(2);
      show(slot);
    }

    function resized(box, width, height) {
      var shape = geometry(box.page);
      box.width = clamp(width, Math.min(shape.minWidth, shape.width), shape.width - box.x);
      box.height = clamp(height, Math.min(shape.minHeight, shape.height), shape.height - box.y);
      return box;
    }

    // A point of the pointer on `page`, in points; null before the preview has a size.
    function pointOn(page, event) {
      var rect = page.querySelector("img").getBoundingClientRect();
      if (!rect.width || !rect.height) return null;
      var shape = geometry(page);
      return {
        x: ((event.clientX - rect.left) * shape.width) / rect.width,
        y: ((event.clientY - rect.top) * shape.height) / rect.height,
      };
    }

    function choose(slot) {
      var radio = form.querySelector('input[name="box_for"][value="' + slot + '"]');
      if (radio) radio.checked = true;
    }

    function chosenSlot() {
      var radio = form.querySelector('input[name="box_for"]:checked');
      return radio ? radio.value : "1";
    }

    function makeMarker(slot) {
      var marker = document.createElement("span");
      marker.className = "box-marker";
      marker.setAttribute("data-box-for", slot);
      marker.tabIndex = 0;
      marker.setAttribute("role", "button");
      var label = (form.getAttribute("data-msg-box") || "") + " " + slot;
      marker.setAttribute("aria-label", label + ". " + (form.getAttribute("data-msg-keys") || ""));
      marker.title = form.getAttribute("data-msg-keys") || "";
      // The stylesheet lets clicks through a marker; these take them.
      marker.style.pointerEvents = "auto";
      marker.style.cursor = "move";
      marker.style.touchAction = "none";
      marker.style.userSelect = "none";
      marker.style.overflow = "visible";
      var text = document.createElement("span");
      text.textContent = slot;
      text.setAttribute("aria-hidden", "true");
      var handle = document.createElement("span");
      handle.className = "box-handle";
      handle.setAttribute("data-box-handle", "");
      handle.title = form.getAttribute("data-msg-resize") || "";
      handle.setAttribute("aria-hidden", "true");
      var style = handle.style;
      style.position = "absolute";
      style.right = "-9px";
      style.bottom = "-9px";
      style.width = "18px";
      style.height = "18px";
      style.boxSizing = "border-box";
      style.background = "#1d4ed8";
      style.border = "2px solid #fff";
      style.borderRadius = "3px";
      style.cursor = "nwse-resize";
      style.touchAction = "none";
      marker.append(text, handle);

      marker.addEventListener("focus", function () {
        choose(slot);
      });

      marker.addEventListener("pointerdown", function (event) {
        if (event.button !== 0) return;
        var box = read(slot);
        if (!box) return;
        var start = pointOn(box.page, event);
        if (!start) return;
        event.preventDefault();
        event.stopPropagation();
        choose(slot);
        marker.focus({ preventScroll: true });
        var resizing = event.target === handle;
        var origin = { x: box.x, y: box.y, width: box.width, height: box.height };
        var pointer = event.pointerId;
        try {
          marker.setPointerCapture(pointer);
        } catch (error) {
          /* no capture: the moves over the marker still count */
        }

        function move(moved) {
          if (moved.pointerId !== pointer) return;
          var at = pointOn(box.page, moved);
          if (!at) return;
          var dx = at.x - start.x;
          var dy = at.y - start.y;
          if (resizing) {
            resized(box, origin.width + dx, origin.height + dy);
          } else {
            box.x = origin.x + dx;
            box.y = origin.y + dy;
          }
          write(slot, box);
        }

        function end(ended) {
          if (ended.pointerId !== pointer) return;
          marker.removeEventListener("pointermove", move);
          marker.removeEventListener("pointerup", end);
          marker.removeEventListener("pointercancel", end);
          if (marker.hasPointerCapture(pointer)) marker.releasePointerCapture(pointer);
        }

        marker.addEventListener("pointermove", move);
        marker.addEventListener("pointerup", end);
        marker.addEventListener("pointercancel", end);
      });

      // A click ending a drag is not a click on the page under it.
      marker.addEventListener("click", function (event) {
        event.stopPropagation();
      });

      marker.addEventListener("keydown", function (event) {
        var dx = { ArrowLeft: -1, ArrowRight: 1 }[event.key] || 0;
        var dy = { ArrowUp: -1, ArrowDown: 1 }[event.key] || 0;
        if (!dx && !dy) return;
        var box = read(slot);
        if (!box) return;
        event.preventDefault();
        if (event.shiftKey) {
          resized(box, box.width + dx * STEP, box.height + dy * STEP);
        } else {
          box.x += dx * STEP;
          box.y += dy * STEP;
        }
        write(slot, box);
      });
      return marker;
    }

    function show(slot) {
      var box = read(slot);
      var marker = markers[slot];
      if (!box) {
        if (marker) {
          marker.remove();
          delete markers[slot];
        }
        return;
      }
      if (!marker) {
        marker = makeMarker(slot);
        markers[slot] = marker;
      }
      if (marker.parentNode !== box.page) {
        var focused = document.activeElement === marker;
        box.page.appendChild(marker);
        if (focused) marker.focus({ preventScroll: true });
      }
      var shape = geometry(box.page);
      marker.style.left = (box.x / shape.width) * 100 + "%";
      marker.style.top = (box.y / shape.height) * 100 + "%";
      marker.style.width = (box.width / shape.width) * 100 + "%";
      marker.style.height = (box.height / shape.height) * 100 + "%";
    }

    form.querySelectorAll(".box-page").forEach(function (page) {
      var image = page.querySelector("img");
      image.addEventListener("click", function (event) {
        var at = pointOn(page, event);
        if (!at) return;
        var slot = chosenSlot();
        var shape = geometry(page);
        var before = read(slot);
        write(slot, {
          page: page,
          x: at.x,
          y: at.y,
          // A box keeps the size it was given when it moves.
          width: before ? before.width : shape.boxWidth,
          height: before ? before.height : shape.boxHeight,
        });
      });
    });

    var clear = form.querySelector("[data-boxes-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        form.querySelectorAll("[data-signer-slot]").forEach(function (field) {
          var slot = field.getAttribute("data-signer-slot");
          var fields = slotFields(slot);
          fields.page.value = fields.x.value = fields.y.value = "";
          fields.width.value = fields.height.value = "";
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
