"""Static frames of the widgets (coursekit/widgets/_static.py): the grid, the frames, the cache.

A frame must be the figure the widget draws for its values: each is compared with an independent
rendering of a fresh widget moved to those values through its public ``update`` (matplotlib's own
``savefig``), and its EXIF must name those values.  Frames drawn by forked processes must equal
frames drawn in one process, in another order.  The browser side is tests/browser/test_static_widgets.py.
"""

import base64
import io
import json

import ipywidgets as ipw
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from coursekit import widgets
from coursekit.widgets import _static
from coursekit.widgets._base import FigureWidget, Step


def _bars(fig, n, colour="C0", flag=False):
    ax = fig.add_subplot()
    ax.bar(range(n), range(1, n + 1), color=colour)
    ax.set_title(f"n = {n}, {colour}, {flag}")


def _demo(**kw):
    controls = {
        "n": ipw.IntSlider(value=3, min=1, max=6, description="bars"),
        "colour": ipw.Dropdown(options=["C0", "C1", "C2"], value="C0", description="colour"),
    }
    return FigureWidget(controls, lambda fig, n, colour: _bars(fig, n, colour), figsize=(3, 2), **kw)


def _decode(data):
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB")).astype(int)


def _reference(factory, values, dpi):
    """The figure a fresh widget draws after ``update(**values)``, rendered by savefig at ``dpi``."""
    w = factory()
    w.update(**values)
    buffer = io.BytesIO()
    w.fig.savefig(buffer, format="png", dpi=dpi)
    return _decode(buffer.getvalue())


# -- the grid ------------------------------------------------------------------------------------
def test_discrete_controls_get_every_position_and_the_default_comes_first_in_the_index():
    axes = _static.control_axes(_demo())
    assert [(a.name, a.kind, a.values) for a in axes] == [
        ("n", "range", [1, 2, 3, 4, 5, 6]), ("colour", "select", ["C0", "C1", "C2"])]
    assert [a.default for a in axes] == [2, 0]
    assert [a.label for a in axes] == ["bars", "colour"]


def test_a_declared_grid_is_sorted_checked_and_keeps_the_default():
    w = FigureWidget({"s": ipw.FloatSlider(value=0.7, min=0.0, max=2.0, step=0.1, description="s",
                                           readout_format=".1f")},
                     lambda fig, s: fig.add_subplot().plot([0, s]), grid={"s": [1.5, 0.0, 1.0]})
    (axis,) = _static.control_axes(w)
    assert axis.values == [0.0, 0.7, 1.0, 1.5] and axis.labels == ["0.0", "0.7", "1.0", "1.5"]
    assert axis.default == 1


@pytest.mark.parametrize("control, grid, error, match", [
    (ipw.FloatSlider(value=0.5, min=0, max=1), None, ValueError, "'x' .*needs a static grid.*grid="),
    (ipw.IntSlider(value=5, min=0, max=500), None, ValueError, "needs a static grid"),
    (ipw.FloatSlider(value=0.5, min=0, max=1), [0.2, 1.5], ValueError, r"1\.5 of control 'x' is outside its range"),
    (ipw.FloatSlider(value=0.5, min=0, max=1), ["a"], TypeError, "must be a number"),
    (ipw.IntSlider(value=1, min=0, max=5), [2.5], ValueError, "not an integer"),
    (ipw.Dropdown(options=["a", "b"], value="a"), ["c"], ValueError, "not one of its options"),
    (ipw.Text(value="t"), None, TypeError, "Text, which the static page cannot show"),
])
def test_grid_errors_name_the_control(control, grid, error, match):
    w = FigureWidget({"x": control}, lambda fig, x: None, grid=None if grid is None else {"x": grid})
    with pytest.raises(error, match=match):
        _static.control_axes(w)


def test_too_many_frames_is_refused_with_the_grid_sizes():
    controls = {name: ipw.IntSlider(value=0, min=0, max=59) for name in ("a", "b")}
    w = FigureWidget(controls, lambda fig, a, b: None)
    with pytest.raises(ValueError, match=r"3600 frames \(a 60 x b 60\)"):
        _static.control_axes(w)


def test_grid_for_an_unknown_control_is_refused():
    with pytest.raises(ValueError, match="unknown control"):
        FigureWidget({"x": ipw.IntSlider()}, lambda fig, x: None, grid={"y": [1]})


def test_only_step_buttons_have_a_static_equivalent():
    w = _demo(buttons={"bump": lambda widget: None})
    with pytest.raises(TypeError, match="button 'bump'.*Step"):
        _static.static_payload(w)
    with pytest.raises(ValueError, match="steps unknown control 'k'"):
        _demo(buttons={"step": Step("k")})


# -- Step ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("delta, wrap, start, expected", [
    (1, True, 5, 6), (1, True, 6, 1), (-1, True, 1, 6), (1, False, 6, 6), (-2, False, 2, 1)])
def test_step_moves_a_slider(delta, wrap, start, expected):
    w = _demo(buttons={"go": Step("n", delta=delta, wrap=wrap)})
    w.update(n=start)
    w.press("go")
    assert w.controls["n"].value == expected


def test_step_moves_a_selection_and_rejects_a_zero_delta():
    w = _demo(buttons={"next colour": Step("colour")})
    w.press("next colour").press("next colour").press("next colour")
    assert w.controls["colour"].value == "C0"
    with pytest.raises(ValueError, match="delta"):
        Step("n", delta=0)


# -- the frames ----------------------------------------------------------------------------------
def test_each_frame_is_the_widget_figure_for_its_values():
    w = _demo()
    frames = _static.render_frames(w)
    points = list(_static.grid_points(_static.control_axes(w)))
    assert len(frames) == len(points) == 18
    for (index, values), data in zip(points, frames):
        assert _static.read_frame_values(data) == values
        assert _static.read_frame_dpi(data) == w.dpi * _static.STATIC_SCALE  # pixels per figure inch
        frame = _decode(data)
        reference = _reference(_demo, values, dpi=w.dpi * _static.STATIC_SCALE)
        assert frame.shape == reference.shape == (320, 480, 3)  # 3 x 2 inches at 2 x 80 dpi
        # The frame is the reference reduced to a palette: pixel for pixel within the palette's error.
        assert np.abs(frame - reference).mean() < 1.0
        assert (frame[reference.sum(-1) == 765] == 255).all()  # the white background stays white
    assert len({d for d in frames}) == len(frames)
    assert w.values() == {"n": 3, "colour": "C0"}  # the live widget still shows its values


def _reference_1x(factory, values, dpi):
    """The figure savefig draws at ``dpi`` (2x), each 2 x 2 block of pixels averaged: a 1x picture
    made without the frame code's Lanczos filter and palette."""
    w = factory()
    w.update(**values)
    buffer = io.BytesIO()
    w.fig.savefig(buffer, format="png", dpi=dpi)
    with Image.open(buffer) as image:
        return np.asarray(image.convert("RGB").reduce(2)).astype(int)


def test_each_frame_has_a_1x_version_of_the_same_figure_that_says_its_resolution():
    w = _demo()
    pairs = _static.render_frames(w, one_x=True)
    points = list(_static.grid_points(_static.control_axes(w)))
    assert [hi for hi, _ in pairs] == _static.render_frames(_demo())  # the 2x frames are unchanged
    for (index, values), (hi, lo) in zip(points, pairs):
        assert _static.read_frame_values(lo) == values
        assert _static.read_frame_dpi(lo) == w.dpi  # one pixel per CSS pixel: the widget's dpi
        frame = _decode(lo)
        reference = _reference_1x(_demo, values, dpi=w.dpi * _static.STATIC_SCALE)
        assert frame.shape == reference.shape == (160, 240, 3)
        error = np.abs(frame - reference)
        # Lanczos keeps edges sharper than a 2 x 2 average: up to 2% of pixels (text, line edges) differ more.
        assert error.mean() < 2.5 and np.mean(error.max(axis=-1) > 48) < 0.02, values
        other = _reference_1x(_demo, {**values, "n": values["n"] % 6 + 1}, dpi=w.dpi * _static.STATIC_SCALE)
        assert np.abs(frame - other).mean() > 10 * error.mean()  # the comparison tells figures apart
        assert len(lo) < len(hi)


def _clt():
    return widgets.clt_widget(n=1, n_repeats=2000, max_n=12)


def test_book_widget_frames_match_an_independent_rendering():
    w = _clt()
    frames = _static.render_frames(w)
    for n in (1, 7, 12):
        frame = _decode(frames[n - 1])
        reference = _reference(_clt, {"n": n}, dpi=160)
        assert _static.read_frame_values(frames[n - 1]) == {"n": n}
        assert np.abs(frame - reference).mean() < 1.5


def _small_mixture():
    w = widgets.mixture_sampling_widget(n=100)
    w.grid = {"weights": list(widgets._clustering.MIXTURE_WEIGHTS.values())[:2],
              "means": list(widgets._clustering.MIXTURE_MEANS.values())[:2], "n": [20, 100]}
    return w


@pytest.mark.parametrize("factory", [
    _clt,
    lambda: widgets.kmeans_widget(X=np.random.default_rng(0).normal(size=(120, 2)) * [3, 1], k=3, rng=2),
    _small_mixture,
], ids=["redrawn figure", "k-means (artists updated)", "mixture (artists updated)"])
def test_forked_processes_draw_the_same_frames_in_any_order(factory):
    """Frames do not depend on which process drew them or what it drew before (fork safety, and
    widgets that update their artists in place carry no state from one frame to the next)."""
    serial = _static.render_frames(factory(), processes=1)
    parallel = _static.render_frames(factory(), processes=2)
    assert serial == parallel
    w = factory()
    axes = _static.control_axes(w)
    reversed_axes = [_static.ControlAxis(a.name, a.label, a.kind, a.values[::-1], a.labels[::-1],
                                         len(a.values) - 1 - a.default, a.readout) for a in axes]
    backwards = _static.render_frames(w, reversed_axes, processes=1)
    forward = {json.dumps(_static.read_frame_values(d), sort_keys=True): _decode(d) for d in serial}
    for data in backwards:
        key = json.dumps(_static.read_frame_values(data), sort_keys=True)
        # Drawn in another order the palette comes from other frames: the same picture, up to the
        # palette's approximation of antialiased edges.
        diff = np.abs(_decode(data) - forward[key]).max(axis=-1)
        assert diff.mean() < 1.0 and np.mean(diff > 48) < 0.002, key


# -- the payload, the cache and the notebook output ----------------------------------------------
def test_payload_lists_every_frame_with_alt_text_and_position():
    payload = _static.static_payload(_demo(describe=lambda n, colour: f"{n} bars in {colour}"))
    assert payload["width"] == 240 and payload["height"] == 160 and payload["mime"] == "image/webp"
    assert [c["name"] for c in payload["controls"]] == ["n", "colour"]
    assert len(payload["frames"]) == 18
    frame = payload["frames"][7]  # row-major: n position 2 (n = 3), colour position 1
    assert frame["index"] == [2, 1] and frame["values"] == {"n": 3, "colour": "C1"}
    assert frame["alt"] == "3 bars in C1"
    assert _static.read_frame_values(base64.b64decode(frame["data"])) == frame["values"]
    assert _static.read_frame_values(base64.b64decode(frame["data_1x"])) == frame["values"]


def test_default_alt_text_names_the_values():
    payload = _static.static_payload(_demo(title="Bars"))
    assert payload["frames"][0]["alt"] == "Bars, at bars = 1, colour = C0"


def test_cache_is_keyed_on_the_code_and_the_page(tmp_path, monkeypatch):
    # (Drawing is detected from the cache entries written, not by wrapping a function of _static:
    # the key follows those functions, a counter in one included.)
    monkeypatch.setattr(_static, "_page_digest", lambda: "page A")
    monkeypatch.setattr(_static, "_exports_in_this_kernel", [0])

    def export():
        _static._exports_in_this_kernel[0] = 0  # the same widget of the same page, rebuilt
        return _static.static_payload(_demo(grid={"n": [1, 2], "colour": ["C0"]}), cache_dir=tmp_path)

    def entries():
        return {path.name: path.stat().st_ino for path in tmp_path.glob("*.json")}

    first = export()
    written = entries()
    assert export() == first and entries() == written  # unchanged: read from the cache, not rewritten
    monkeypatch.setattr(_static, "_page_digest", lambda: "page B")
    export()
    assert len(entries()) == 2  # the page changed
    monkeypatch.setattr(_static, "_widget_code_digest", lambda widget: "other code")
    export()
    assert len(entries()) == 3  # the widget's code changed


def test_no_cache_outside_a_kernel(tmp_path):
    _static.static_payload(_demo(), cache_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_code_digest_covers_the_loaded_coursekit_modules_and_data(monkeypatch):
    import coursekit.gaussian as gaussian_module

    before = _static._code_digest()
    source = gaussian_module.__file__
    original = open(source, "rb").read()
    monkeypatch.setattr("pathlib.Path.read_bytes",
                        lambda self: original + b"# changed" if str(self) == source else open(self, "rb").read())
    assert _static._code_digest() != before


# -- what the key follows: the code and data a widget's frames are drawn from -------------------
def _changed(func, monkeypatch):
    """Change ``func``'s code as an edit of its body would (new bytecode, same signature)."""
    monkeypatch.setattr(func, "__code__", func.__code__.replace(co_consts=func.__code__.co_consts + ("edited",)))


def _unrelated_functions():
    """Functions of coursekit modules no widget draws with: the grader, the kd-tree filter."""
    from coursekit import kmeans_filter
    from coursekit.grading import late

    funcs = [f for module in (late, kmeans_filter) for f in vars(module).values()
             if callable(f) and getattr(f, "__module__", None) == module.__name__ and hasattr(f, "__code__")]
    assert len(funcs) >= 4
    return funcs


def test_the_key_changes_with_a_function_the_widget_draws_with_and_only_then(monkeypatch):
    from coursekit.plotting import _gaussian as plotting_gaussian

    cov = widgets.covariance_widget()
    clt_before, cov_before = _static.widget_dependencies(widgets.clt_widget())[0], \
        _static.widget_dependencies(cov)[0]
    assert cov_before is not None and clt_before is not None
    for func in _unrelated_functions():
        _changed(func, monkeypatch)
    assert _static.widget_dependencies(cov)[0] == cov_before, "an unrelated module changed the key"
    # covariance_widget draws with plotting.plot_covariance, which draws samples with coursekit.gaussian
    from coursekit import gaussian

    for func, name in ((plotting_gaussian.plot_covariance, "plot_covariance"), (gaussian.sample, "sample")):
        before = _static.widget_dependencies(cov)[0]
        _changed(func, monkeypatch)
        assert _static.widget_dependencies(cov)[0] != before, f"{name} changed and the key did not"
    # the CLT widget draws neither
    assert _static.widget_dependencies(widgets.clt_widget())[0] == clt_before


def test_the_key_follows_the_data_a_widget_was_built_from():
    X = np.random.default_rng(3).normal(size=(60, 2))
    a = _static.widget_dependencies(widgets.kmeans_widget(X, k=3))[0]
    assert _static.widget_dependencies(widgets.kmeans_widget(X.copy(), k=3))[0] == a
    X[0, 0] += 1e-9  # what an upstream change to coursekit (or the page) would do to the data
    assert _static.widget_dependencies(widgets.kmeans_widget(X, k=3))[0] != a


def test_the_key_follows_code_the_widget_computed_its_frames_with_at_build_time(monkeypatch):
    from coursekit import kmeans as km

    w = widgets.kmeans_widget()
    before, modules = _static.widget_dependencies(w)
    assert "coursekit.kmeans" in modules
    _changed(km.assign, monkeypatch)
    assert _static.widget_dependencies(w)[0] != before


def test_a_widget_whose_inputs_cannot_be_hashed_falls_back_to_every_loaded_module(monkeypatch):
    import threading

    lock = threading.Lock()
    w = FigureWidget({"n": ipw.IntSlider(value=2, min=1, max=3)}, lambda fig, n: (lock, _bars(fig, n)))
    digest, reason = _static.widget_dependencies(w)
    assert digest is None and "cannot be pickled" in reason
    assert _static._widget_code_digest(w) == "all:" + _static._code_digest()
    _changed(_unrelated_functions()[0], monkeypatch)
    monkeypatch.setattr(_static, "_code_digest", lambda: "every module, one changed")
    assert _static._widget_code_digest(w) == "all:every module, one changed"


@pytest.mark.parametrize("name", ["clt_widget", "covariance_widget", "mixture_sampling_widget", "kmeans_widget",
                                  "kdtree_filter_widget", "quantize_widget", "bayes_classifier_widget",
                                  "em_widget", "posterior_widget", "binomial_widget",
                                  "marginal_conditional_widget"])
def test_every_book_widget_gets_a_narrow_key_that_another_process_computes_alike(name):
    import subprocess
    import sys

    digest, modules = _static.widget_dependencies(getattr(widgets, name)())
    assert digest is not None, modules
    assert not {"coursekit.grading", "coursekit.checks", "coursekit.cli"} & set(modules)
    # another interpreter, another hash seed, other modules imported first (as another page would)
    code = ("import coursekit.grading, coursekit.mixture, coursekit.kmeans_filter\n"
            "from coursekit import widgets\nfrom coursekit.widgets import _static\n"
            f"print(_static.widget_dependencies(widgets.{name}())[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, "PYTHONHASHSEED": "12345"}, check=True)
    assert out.stdout.strip() == digest


def test_notebook_output_carries_the_frames_only_during_a_book_build(monkeypatch, tmp_path):
    monkeypatch.delenv(_static.STATIC_ENV, raising=False)
    assert "text/html" not in _demo()._repr_mimebundle_()
    monkeypatch.setenv(_static.STATIC_ENV, str(tmp_path))
    bundle = _demo()._repr_mimebundle_()
    html = bundle["text/html"]
    assert html.startswith(f'<script type="{_static.PAYLOAD_MARKER}">') and html.endswith("</script>")
    payload = json.loads(html[html.index(">") + 1: -len("</script>")])
    assert len(payload["frames"]) == 18
    assert "image/png" in bundle and "application/vnd.jupyter.widget-view+json" in bundle


def test_alt_text_cannot_close_the_script_element():
    html = _static.static_html(_demo(describe=lambda n, colour: "</script><b>"))
    assert html.count("</script>") == 1


# -- the book's widgets --------------------------------------------------------------------------
BOOK_WIDGETS = {
    "clt": lambda: widgets.clt_widget(n=1),
    "binomial": widgets.binomial_widget,
    "covariance": widgets.covariance_widget,
    "marginal_conditional": widgets.marginal_conditional_widget,
    "posterior": lambda: widgets.posterior_widget(n=10),
    "log_likelihood": lambda: widgets.log_likelihood_widget(widgets._gaussian._book_data_ch2()),
    "mixture_sampling": widgets.mixture_sampling_widget,
    "kmeans": widgets.kmeans_widget,
    "quantize": widgets.quantize_widget,
    "bayes_classifier": widgets.bayes_classifier_widget,
    "em": widgets.em_widget,
    "kdtree_filter": widgets.kdtree_filter_widget,
}


@pytest.mark.parametrize("name", sorted(BOOK_WIDGETS))
def test_every_book_widget_has_a_static_grid_and_describes_its_frames(name):
    w = BOOK_WIDGETS[name]()
    axes = _static.control_axes(w)
    _static._buttons(w, axes)
    points = [values for _, values in _static.grid_points(axes)]
    assert 2 <= len(points) <= _static.MAX_FRAMES
    assert w.describe is not None, f"{name}: no describe= (alt text for its frames)"
    alts = {w.frame_description(values) for values in points}
    assert len(alts) == len(points), f"{name}: two frames share an alt text"


def test_the_clt_grid_is_every_n_from_1_to_50():
    (axis,) = _static.control_axes(widgets.clt_widget(n=1))
    assert axis.values == list(range(1, 51))


def test_step_through_widgets_cover_every_iteration_to_convergence():
    kmeans = widgets.kmeans_widget()
    (axis,) = _static.control_axes(kmeans)
    assert axis.values == list(range(len(kmeans.history)))
    em = widgets.em_widget()
    (axis,) = _static.control_axes(em)
    assert axis.values == list(range(len(em.states)))
    assert "converged" in em.frame_description({"iteration": axis.values[-1]})


def test_figure_without_layout_engine_still_draws():
    # The base FigureWidget uses constrained layout; the static frames draw through the same path.
    w = FigureWidget({"n": ipw.IntSlider(value=1, min=1, max=2)}, lambda fig, n: _bars(fig, n))
    assert isinstance(w.fig, Figure)
    frames = _static.render_frames(w, processes=1)
    assert [_static.read_frame_values(f) for f in frames] == [{"n": 1}, {"n": 2}]


def test_during_a_book_build_a_widget_the_page_cannot_show_fails_its_cell(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(_static.STATIC_ENV, str(tmp_path))
    with pytest.raises(ValueError, match="'s' .*needs a static grid"):
        FigureWidget({"s": ipw.FloatSlider(value=0.5, min=0, max=1)}, lambda fig, s: None)
    w = _demo()
    w.grid = {"n": [99]}  # broken after construction: the display fails, loudly
    with pytest.raises(ValueError, match="outside its range"):
        w._repr_mimebundle_()
    assert "outside its range" in capsys.readouterr().err
