/* The book's widgets on the static site (added by _ext/coursekit_widgets.py).
 *
 * Each <figure class="ck-widget"> holds HTML controls, an <img> and a JSON list of frames, one per
 * combination of control positions (row-major: the first control varies slowest), drawn at build
 * time by coursekit.widgets.  Moving a control shows the frame of the new positions; nothing is
 * computed here and nothing is fetched from anywhere but this site.
 *
 * Speed: once the widget is near the screen every frame is fetched (a page's frames weigh at most
 * 4 MB), and the frames one step away from the current positions are decoded ahead, so the next
 * move of any control only swaps an already decoded image. */
(function () {
  "use strict";

  var DECODED_KEPT = 24;  // decoded neighbour frames kept per widget (each is a few MB of pixels)

  function setUp(figure) {
    var data = JSON.parse(figure.querySelector("script.ck-widget-data").textContent);
    var img = figure.querySelector("img.ck-widget-frame");
    var status = figure.querySelector(".ck-widget-status");
    var controls = [];
    figure.querySelectorAll("input[data-ck-index], select[data-ck-index]").forEach(function (el) {
      controls[Number(el.dataset.ckIndex)] = el;
    });
    var announce = null, fetched = null, decoded = [];

    function positions() {
      return controls.map(function (el) {
        return el.type === "checkbox" ? (el.checked ? 1 : 0) : Number(el.value);
      });
    }

    function frameIndex(pos) {
      var index = 0;
      for (var k = 0; k < pos.length; k++) { index = index * data.shape[k] + pos[k]; }
      return index;
    }

    function decodeAhead(pos) {
      for (var k = 0; k < pos.length; k++) {
        [-1, 1].forEach(function (delta) {
          var p = pos[k] + delta;
          if (p < 0 || p >= data.shape[k]) return;
          var next = pos.slice();
          next[k] = p;
          var index = frameIndex(next);
          if (decoded.some(function (d) { return d.index === index; })) return;
          var image = new Image();
          image.src = data.base + data.frames[index][0];
          image.decode().catch(function () {});  // a broken frame shows up when it is displayed
          decoded.push({index: index, image: image});
          if (decoded.length > DECODED_KEPT) decoded.shift();
        });
      }
    }

    function show() {
      var pos = positions();
      controls.forEach(function (el, k) {
        if (el.type === "range") {
          var text = data.labels[k][pos[k]];
          el.setAttribute("aria-valuetext", text);
          el.nextElementSibling.textContent = text;
        }
      });
      var index = frameIndex(pos), frame = data.frames[index];
      img.src = data.base + frame[0];
      img.alt = frame[1];
      img.dataset.ckFrame = String(index);
      // Screen readers hear what the new figure shows once the reader stops moving the control.
      clearTimeout(announce);
      announce = setTimeout(function () { status.textContent = frame[1]; }, 700);
      if (fetched) decodeAhead(pos);
    }

    function fetchAll() {
      if (fetched) return;
      fetched = data.frames.map(function (frame) {
        var image = new Image();
        image.src = data.base + frame[0];
        return image;
      });
      decodeAhead(positions());
    }

    figure.addEventListener("input", show);
    figure.addEventListener("change", show);
    figure.querySelectorAll("button.ck-step").forEach(function (button) {
      button.addEventListener("click", function () {
        var k = Number(button.dataset.ckIndex), n = data.shape[k];
        var next = positions()[k] + Number(button.dataset.ckDelta);
        if (next >= n || next < 0) {
          next = button.dataset.ckWrap === "1" ? ((next % n) + n) % n : Math.min(Math.max(next, 0), n - 1);
        }
        controls[k].value = String(next);
        show();
      });
    });

    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) { observer.disconnect(); fetchAll(); }
      }, {rootMargin: "200% 0px"});
      observer.observe(figure);
    }
    figure.addEventListener("focusin", fetchAll);
    figure.addEventListener("pointerenter", fetchAll);
  }

  function start() { document.querySelectorAll("figure.ck-widget").forEach(setUp); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
