/* The book's widgets on the static site (added by _ext/coursekit_widgets.py).
 *
 * Each <figure class="ck-widget"> holds HTML controls, an <img> and a JSON list of frames, one per
 * combination of control positions (row-major: the first control varies slowest), drawn at build
 * time by coursekit.widgets.  Moving a control shows the frame of the new positions; nothing is
 * computed here and nothing is fetched from anywhere but this site.
 *
 * Speed: once the widget is near the screen every frame is fetched (a page's frames weigh at most
 * 4 MB).  Decoding a frame is what a swap waits for (10-40 ms on a loaded 2-core machine; 1 ms for a
 * frame already decoded), so once the frame on screen is decoded, the frames one step away from the
 * current positions and those at the ends of each control (Home/End) are decoded ahead: an arrow
 * key, a step button or Home/End then only swaps an already decoded image.  They are decoded after
 * the frame on screen, never beside it, so that they do not slow it down. */
(function () {
  "use strict";

  var DECODED_KEPT = 16;  // frames decoded ahead and kept (each is 2-4 MB of pixels)
  var active = null;      // forgets the decoded frames of the widget in use: one widget at a time

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

    // The frames a reader reaches next from positions pos: one step along each control, then
    // each control's first and last positions.
    function ahead(pos) {
      var next = [];
      function add(k, p) {
        if (p < 0 || p >= data.shape[k] || p === pos[k]) return;
        var q = pos.slice();
        q[k] = p;
        next.push(frameIndex(q));
      }
      for (var k = 0; k < pos.length; k++) { add(k, pos[k] + 1); add(k, pos[k] - 1); }
      for (k = 0; k < pos.length; k++) { add(k, 0); add(k, data.shape[k] - 1); }
      return next;
    }

    // Decoded frames are kept (most recently wanted last) while this widget is the one in use.
    function decodeAhead(pos) {
      if (active !== forget) {
        if (active) active();
        active = forget;
      }
      ahead(pos).forEach(function (index) {
        var kept = decoded.filter(function (d) { return d.index === index; })[0];
        if (kept) {
          decoded.splice(decoded.indexOf(kept), 1);
        } else {
          kept = {index: index, image: new Image()};
          kept.image.src = data.base + data.frames[index][0];
          kept.image.decode().catch(function () {});  // a broken frame shows up when it is displayed
        }
        decoded.push(kept);
        if (decoded.length > DECODED_KEPT) decoded.shift();
      });
    }

    function forget() { decoded = []; }

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
      fetchAll();
      img.decode().then(function () {
        if (img.dataset.ckFrame === String(index)) decodeAhead(pos);  // unless moved on meanwhile
      }, function () {});
    }

    function fetchAll() {
      if (fetched) return;
      fetched = data.frames.map(function (frame) {
        var image = new Image();
        image.src = data.base + frame[0];
        return image;
      });
    }

    function warm() {  // the reader is about to use this widget
      fetchAll();
      if (active !== forget) decodeAhead(positions());
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
    figure.addEventListener("focusin", warm);
    figure.addEventListener("pointerenter", warm);
  }

  function start() { document.querySelectorAll("figure.ck-widget").forEach(setUp); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
