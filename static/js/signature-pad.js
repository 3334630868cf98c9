// A small signature pad: draw with a finger, pen or mouse on the canvas of
// each [data-signature-pad]; on submit the drawing goes into the hidden
// "drawing" field as a PNG data URL (nothing is sent if nothing was drawn).
(function () {
  "use strict";

  function setUp(pad) {
    var canvas = pad.querySelector("canvas");
    var field = pad.querySelector('input[name="drawing"]');
    var clear = pad.querySelector("[data-clear]");
    var form = pad.closest("form");
    var context = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    var last = null;

    context.lineWidth = 3;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#102a6b";
    canvas.style.touchAction = "none";

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return {
        x: ((event.clientX - rect.left) * canvas.width) / rect.width,
        y: ((event.clientY - rect.top) * canvas.height) / rect.height,
      };
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      context.beginPath();
      context.arc(last.x, last.y, context.lineWidth / 2, 0, 2 * Math.PI);
      context.fillStyle = context.strokeStyle;
      context.fill();
      drawn = true;
    });

    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      event.preventDefault();
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });

    function stop() {
      drawing = false;
      last = null;
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);

    if (clear) {
      clear.addEventListener("click", function () {
        context.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        field.value = "";
      });
    }

    if (form) {
      form.addEventListener("submit", function () {
        var method = form.querySelector('input[name="method"]:checked');
        field.value = drawn && (!method || method.value === "drawn")
          ? canvas.toDataURL("image/png")
          : "";
      });
    }
  }

  document.querySelectorAll("[data-signature-pad]").forEach(setUp);
})();
