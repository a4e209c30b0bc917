/* The book's widgets on the static site (added by _ext/coursekit_widgets.py).
 *
 * Each <figure class="ck-widget"> holds HTML controls, an <img> and a JSON list of frames, one per
 * combination of control positions (row-major: the first control varies slowest), drawn at build
 * time by coursekit.widgets, each as a 2x file and a 1x file: a screen of more than one device
 * pixel per CSS pixel gets the 2x files, another the 1x ones (a quarter of the pixels to decode);
 * the page opens on the 2x file of the first frame.  Moving a control shows the frame of the new
 * positions; nothing is computed here and nothing is fetched from anywhere but this site.
 *
 * Speed: once the widget is near the screen every frame is fetched (a page's frames weigh at most
 * 4 MB), those of the next moves first and at high priority, the rest at low priority.  Decoding a
 * frame is what a swap waits for (10-40 ms on a loaded 2-core machine; a few ms for a frame
 * already decoded), so frames are decoded ahead: when a widget comes on screen or is
 * focused, and again once the frame on screen is decoded, the frames one step away from the
 * current positions and those at the ends of each control (Home/End); and the frame under the
 * pointer while it moves over a slider's track, before it clicks there.  Decodes run one at a
 * time, after the frame on screen and never beside it, and a move drops those not yet started, so
 * the frame asked for never waits behind a dozen others; at most DECODED_KEPT decoded frames are
 * kept over the page (the most recently wanted). */
(function () {
  "use strict";

  var DECODED_KEPT = 24;  // frames decoded ahead and kept, over all widgets (each is 2-4 MB of pixels)
  var kept = [];          // {url, image}: most recently wanted last
  var queue = [];         // images waiting to be decoded, one at a time (first decoded first)
  var decoding = false;

  // One decode at a time: the frame the reader asks for next never waits behind a dozen decodes
  // started together on a 2-core machine, and wanting other frames drops those not yet started.
  function decodeNext() {
    if (decoding || !queue.length) return;
    decoding = true;
    var image = queue.shift();
    image.decode().then(function () { image.ckDecoded = true; }, function () {})  // a broken frame shows up when displayed
      .then(function () {
      decoding = false;
      decodeNext();
    });
  }

  // Decode the frames at urls (the first most wanted) and keep them; first: before those queued.
  function decodeFrames(urls, first) {
    var wanted = [];
    urls.forEach(function (url) {
      var entry = kept.filter(function (e) { return e.url === url; })[0];
      if (entry) {
        kept.splice(kept.indexOf(entry), 1);
        if (!entry.image.ckDecoded && queue.indexOf(entry.image) < 0) wanted.push(entry.image);
      } else {
        entry = {url: url, image: new Image()};
        entry.image.src = url;
        wanted.push(entry.image);
      }
      kept.push(entry);
    });
    while (kept.length > DECODED_KEPT) {
      var dropped = kept.shift();
      var at = queue.indexOf(dropped.image);
      if (at >= 0) queue.splice(at, 1);
    }
    queue = first ? wanted.concat(queue) : queue.concat(wanted);
    decodeNext();
  }

  // The file of a frame [2x file, alt text, 1x file] for this screen.
  function fileOf(data, frame) {
    return data.base + frame[window.devicePixelRatio > 1 ? 0 : 2];
  }

  function setUp(figure) {
    var data = JSON.parse(figure.querySelector("script.ck-widget-data").textContent);
    var img = figure.querySelector("img.ck-widget-frame");
    var status = figure.querySelector(".ck-widget-status");
    var controls = [];
    figure.querySelectorAll("input[data-ck-index], select[data-ck-index]").forEach(function (el) {
      controls[Number(el.dataset.ckIndex)] = el;
    });
    var announce = null, fetched = null;

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

    // Frames are decoded ahead once the frame on screen is decoded, so they never slow it down.
    function decodeAhead(pos) {
      decodeFrames(ahead(pos).map(function (index) { return fileOf(data, data.frames[index]); }), false);
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
      // A slider moved by a key fires "input" and then "change": the second must not set the image
      // again (a src set anew restarts its load and its decode).
      if (img.dataset.ckFrame === String(index) && img.getAttribute("src") === fileOf(data, frame)) return;
      img.src = fileOf(data, frame);
      img.alt = frame[1];
      img.dataset.ckFrame = String(index);
      // Screen readers hear what the new figure shows once the reader stops moving the control.
      clearTimeout(announce);
      announce = setTimeout(function () { status.textContent = frame[1]; }, 700);
      fetchAll();
      queue = [];  // what was to be decoded ahead of the old positions (the new ones are queued below)
      img.decode().then(function () {
        if (img.dataset.ckFrame === String(index)) decodeAhead(pos);  // unless moved on meanwhile
      }, function () {});
    }

    // Every frame of the widget, the frames of the next moves first and at high priority: a reader
    // who scrolls to a widget and moves it at once must not wait for its frame behind dozens of others.
    function fetchAll() {
      if (fetched) return;
      var first = ahead(positions()), rest = [];
      data.frames.forEach(function (frame, index) { if (first.indexOf(index) < 0) rest.push(index); });
      fetched = first.concat(rest).map(function (index, at) {
        var image = new Image();
        image.fetchPriority = at < first.length ? "high" : "low";
        image.src = fileOf(data, data.frames[index]);
        return image;
      });
    }

    function warm() {  // the reader is about to use this widget
      fetchAll();
      decodeAhead(positions());
    }

    // A pointer over a slider's track is about to click there: decode the frame under it first.
    var hovered = -1;
    function hover(event) {
      var el = event.target, k = Number(el.dataset.ckIndex), n = data.shape[k];
      var box = el.getBoundingClientRect(), thumb = 16;  // Chromium's thumb: the ends are half a thumb in
      var p = Math.round((event.clientX - box.left - thumb / 2) / Math.max(1, box.width - thumb) * (n - 1));
      p = Math.min(Math.max(p, 0), n - 1);
      var pos = positions();
      if (p === pos[k]) return;
      pos[k] = p;
      var index = frameIndex(pos);
      if (index === hovered) return;
      hovered = index;
      fetchAll();
      decodeFrames([fileOf(data, data.frames[index])], true);
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
      // On screen: decode the frames of the first moves before the reader reaches for a control.
      var onScreen = new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) warm();
      }, {rootMargin: "25% 0px"});
      onScreen.observe(figure);
    }
    figure.addEventListener("focusin", warm);
    figure.addEventListener("pointerenter", warm);
    figure.querySelectorAll("input[type=range][data-ck-index]").forEach(function (el) {
      el.addEventListener("pointermove", hover);
    });
  }

  function start() { document.querySelectorAll("figure.ck-widget").forEach(setUp); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
