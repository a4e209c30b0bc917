// Swap latency of the static widgets (issue 13), shared by tests/browser/test_static_widgets.py and
// bench/bench_widgets.py (added to a page with Playwright's add_init_script).
//
// Time from the reader's key or pointer going down to the new frame decoded (and the next animation
// frame): the image's next src change stops the clock.  Samples collect in window.__ckLatency.samples (ms).
performance.setResourceTimingBufferSize(100000);  // every frame fetched is counted (default: 250 entries)
window.__ckLatency = {start: null, samples: []};
// The clock starts when the reader's key or pointer went down (the event's own time stamp, so the
// wait before the page handles it counts); an input with neither (a choice from a list) starts it too.
const __ckDown = e => { window.__ckLatency.start = e.timeStamp; };
document.addEventListener('keydown', __ckDown, true);
document.addEventListener('pointerdown', __ckDown, true);
document.addEventListener('input', e => { if (window.__ckLatency.start === null) window.__ckLatency.start = e.timeStamp; }, true);
new MutationObserver(mutations => {
  for (const m of mutations) {
    const img = m.target;
    if (!img.classList || !img.classList.contains('ck-widget-frame')) continue;
    const start = window.__ckLatency.start;
    if (start === null) continue;
    window.__ckLatency.start = null;
    // A decode that fails (a broken frame, or the next move replaced the image first) records
    // nothing: broken frames are the checks' business.
    img.decode().then(() => requestAnimationFrame(() => window.__ckLatency.samples.push(performance.now() - start)),
                      () => {});
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['src']});
