"""Widgets on a static web page: every frame drawn at build time, swapped by the page's controls.

A reader of the published book has no kernel.  While the book is built, each
:class:`~coursekit.widgets._base.FigureWidget` draws its figure for every combination of a grid
of control values, with the widget's own ``draw`` code (never a second implementation), and the
page swaps between those frames when the reader moves ordinary HTML controls (the book's Sphinx
extension ``_ext/coursekit_widgets.py`` writes the controls and the few lines of JavaScript).
This is what HoloViews does for a ``HoloMap`` exported to HTML and Panel's ``embed(states=...)``
does for a small app: a finite set of states, chosen per control.

The grid, per control:

* dropdowns and other selection controls: every option;
* int sliders with at most :data:`AUTO_GRID_MAX` positions: every position;
* float sliders and longer int sliders: the values listed in the widget's ``grid``
  (a ``ValueError`` names the control otherwise);
* the control's default value is always part of the grid, so the page opens on the figure the
  live widget shows first.

The static page shows one frame per combination, so the product of the grid sizes is what a
page weighs: at most :data:`MAX_FRAMES` frames per widget.  A new widget needs nothing else:
declare ``grid=`` for its float sliders, use :class:`~coursekit.widgets._base.Step` for its
buttons, and optionally ``describe=`` for the frames' alt text.

Frames are drawn at ``STATIC_SCALE`` (2x) the widget's resolution, so they stay sharp on
high-density screens, reduced to a palette of at most :data:`PALETTE_COLOURS` colours shared by
the widget's frames and stored as lossless WebP (the smallest sharp format measured for these
figures: ``bench/bench_widgets.py``, "Frame formats").  Each frame also gets a 1x version, the
same drawing reduced (Lanczos) to the widget's own resolution and mapped to the same palette, for
screens of one device pixel per CSS pixel: the page shows one or the other by the screen's
``devicePixelRatio``, and a 1x screen decodes a quarter of the pixels per move.  Each frame carries the control values it was drawn for in
its EXIF ImageDescription, so a test can check that the image a page shows belongs to the values
its controls show.  Frames are drawn by as many forked processes as there are CPUs, and cached
on disk under a key of the page's code cells executed so far, the grid, and the code and data
the widget's frames are drawn from (:func:`widget_dependencies`): the bytecode of every function
reachable from the widget and from the code that draws and encodes its frames, the data they
reach (arrays the widget was built from, by their bytes), the versions of the installed libraries
met, and ``coursekit``'s data files.  A rebuild redraws a widget only when one of those changes:
after an edit to ``coursekit.grading`` no frame is drawn again, after one to ``coursekit.kmeans``
only the widgets that draw with k-means (or whose data it computed) are.  Where the walk meets
something it cannot hash (an object that cannot be pickled), the key falls back to every
``coursekit`` module loaded.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import itertools
import json
import math
import numbers
import os
import pickle
import sys
import tempfile
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "STATIC_ENV",
    "ControlAxis",
    "control_axes",
    "static_payload",
    "static_html",
    "render_frames",
    "read_frame_values",
    "read_frame_dpi",
    "check_static",
]

STATIC_ENV = "COURSEKIT_STATIC_WIDGETS"
"""Set (to a cache directory) by the book's Sphinx extension while the book's pages execute."""
AUTO_GRID_MAX = 60
MAX_FRAMES = 400
STATIC_SCALE = 2
PALETTE_COLOURS = 64
PALETTE_SAMPLES = 8
# A frame gets its own palette when more than MISS_SHARE of its pixels are over MISS_LEVELS (of
# 255) away from the shared palette's nearest colour.  Antialiased edges stay well below: on the
# book's widgets at most 0.3% of pixels are that far off.
MISS_LEVELS = 40
MISS_SHARE = 0.005
PAYLOAD_MARKER = "application/vnd.coursekit.static-widget+json"
FORMAT_VERSION = 2
_CACHE_LIMIT_BYTES = 512 * 2**20
_EXIF_DESCRIPTION = 0x010E
_EXIF_X_RESOLUTION, _EXIF_Y_RESOLUTION, _EXIF_RESOLUTION_UNIT, _EXIF_INCH = 0x011A, 0x011B, 0x0128, 2
_FRAME_TAG = "coursekit-widget-frame "


# -------------------------------------------------------------------------------------------
# The grid
# -------------------------------------------------------------------------------------------
@dataclass
class ControlAxis:
    """One control of a widget as the static page sees it: its grid of values and their labels.

    ``kind`` is ``"range"`` (a slider: ``<input type=range>`` over the grid positions),
    ``"select"`` (``<select>``) or ``"checkbox"``.
    """

    name: str
    label: str
    kind: str
    values: list
    labels: list
    default: int
    readout: str = ""

    def format(self, value):
        return _format_value(value, self.readout)

    def index(self, value):
        for i, v in enumerate(self.values):
            if _same(v, value):
                return i
        raise ValueError(f"{value!r} is not on the static grid of control {self.name!r}: {self.labels}")


def _same(a, b):
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _format_value(value, readout=""):
    if readout and isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            return format(value, readout)
        except (ValueError, TypeError):
            pass
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _plain(value):
    """A JSON-able Python value (numpy scalars become Python numbers)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _options(control):
    """(label, value) pairs of a selection control."""
    labels = list(getattr(control, "_options_labels", ()))
    values = list(getattr(control, "_options_values", ()))
    if not labels:
        raw = list(control.options)
        labels = [str(o[0]) if isinstance(o, tuple) else str(o) for o in raw]
        values = [o[1] if isinstance(o, tuple) else o for o in raw]
    return labels, values


def control_axes(widget):
    """The static grid of every control of ``widget``, in the controls' order.

    Raises
    ------
    ValueError
        When a control needs a declared grid and has none, a declared value is outside the
        control's range or options, or the grid has more than :data:`MAX_FRAMES` combinations.
    TypeError
        For a control type the static page cannot show.
    """
    import ipywidgets as widgets

    axes = []
    for name, control in widget.controls.items():
        label = (getattr(control, "description", "") or name).strip()
        declared = widget.grid.get(name)
        default = control.value
        if isinstance(control, (widgets.Dropdown, widgets.Select, widgets.RadioButtons,
                                widgets.ToggleButtons, widgets.SelectionSlider)):
            labels, values = _options(control)
            if declared is not None:
                keep = []
                for value in declared:
                    if not any(_same(value, v) for v in values):
                        raise ValueError(f"grid value {value!r} of control {name!r} is not one of its "
                                         f"options {values}")
                    keep.append(next(i for i, v in enumerate(values) if _same(value, v)))
                if control.index not in keep:
                    keep.append(control.index)
                keep = sorted(set(keep))
                labels, values = [labels[i] for i in keep], [values[i] for i in keep]
            kind = "range" if isinstance(control, widgets.SelectionSlider) else "select"
            axis = ControlAxis(name, label, kind, [_plain(v) for v in values], labels, 0)
        elif isinstance(control, (widgets.IntSlider, widgets.FloatSlider)):
            is_int = isinstance(control, widgets.IntSlider)
            lo, hi, step = control.min, control.max, control.step
            if declared is None:
                count = int(round((hi - lo) / step)) + 1 if step else 0
                if not is_int or count > AUTO_GRID_MAX:
                    kind = "int" if is_int else "float"
                    raise ValueError(
                        f"control {name!r} ({kind} slider {lo}..{hi}, step {step}) needs a static grid: "
                        f"pass grid={{{name!r}: [...values...]}} to the widget "
                        f"(an int slider gets every position automatically only up to {AUTO_GRID_MAX})")
                declared = [lo + i * step for i in range(count)]
            values = []
            for value in list(declared) + [default]:
                if isinstance(value, bool) or not isinstance(value, numbers.Real):
                    raise TypeError(f"grid value {value!r} of control {name!r} must be a number")
                if is_int and float(value) != int(value):
                    raise ValueError(f"grid value {value!r} of int control {name!r} is not an integer")
                if not lo - 1e-9 * max(1, abs(lo)) <= value <= hi + 1e-9 * max(1, abs(hi)):
                    raise ValueError(f"grid value {value!r} of control {name!r} is outside its range "
                                     f"[{lo}, {hi}]")
                value = int(value) if is_int else float(value)
                if not any(_same(value, v) for v in values):
                    values.append(value)
            values.sort()
            readout = getattr(control, "readout_format", "") or ""
            readout = "" if readout == "d" else readout
            axis = ControlAxis(name, label, "range", values,
                               [_format_value(v, readout) for v in values], 0, readout)
        elif isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
            axis = ControlAxis(name, label, "checkbox", [False, True], ["off", "on"], 0)
        else:
            raise TypeError(f"control {name!r} is a {type(control).__name__}, which the static page "
                            "cannot show (use a slider, a selection control or a checkbox)")
        axis.default = axis.index(default)
        axes.append(axis)
    n_frames = math.prod(len(axis.values) for axis in axes)
    if n_frames > MAX_FRAMES:
        sizes = " x ".join(f"{axis.name} {len(axis.values)}" for axis in axes)
        raise ValueError(f"{widget.title or 'widget'}: the static grid has {n_frames} frames ({sizes}), "
                         f"more than {MAX_FRAMES}; declare coarser grids for its controls")
    return axes


def _buttons(widget, axes):
    from ._base import Step

    by_name = {axis.name: axis for axis in axes}
    buttons = []
    for label, action in widget.actions.items():
        if not isinstance(action, Step):
            raise TypeError(f"button {label!r} of {widget.title or 'a widget'} runs arbitrary code, which "
                            "a static page cannot; make it a coursekit.widgets.Step(control) to step a control")
        if by_name[action.control].kind == "checkbox":
            raise TypeError(f"button {label!r} steps checkbox {action.control!r}; step a slider or a selection")
        buttons.append({"label": label, "control": action.control, "delta": action.delta,
                        "wrap": action.wrap})
    return buttons


def check_static(widget):
    """Raise the error :func:`static_payload` would raise for ``widget``'s grid or buttons, if any."""
    _buttons(widget, control_axes(widget))


def grid_points(axes):
    """Every combination of grid values, row-major (the first control varies slowest)."""
    for index in itertools.product(*(range(len(axis.values)) for axis in axes)):
        yield index, {axis.name: axis.values[i] for axis, i in zip(axes, index)}


# -------------------------------------------------------------------------------------------
# Drawing and encoding the frames
# -------------------------------------------------------------------------------------------
def _rgb(widget, values):
    """The figure drawn for ``values`` as an (H, W, 3) uint8 array (at the figure's current dpi)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    widget.draw_values(values)
    canvas = widget.fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(widget.fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


class _Palette:
    """At most ``colours`` colours for a widget's frames, shared by all of them.

    The palette comes from a few frames spread over the grid (all frames share it, so the
    antialiased edges of a line look the same in every frame, and a frame compresses to a
    quarter of its full-colour size); Pillow maps each frame's pixels to their nearest colour.
    """

    def __init__(self, samples, colours=PALETTE_COLOURS):
        from PIL import Image

        # Every second pixel of each sample is plenty to find the colours and four times faster.
        stack = np.concatenate([s[::2, ::2] for s in samples], axis=0)
        quantised = Image.fromarray(stack).quantize(colours, method=Image.Quantize.MEDIANCUT,
                                                     dither=Image.Dither.NONE)
        # Median cut gives each group of pixels its mean colour: the white background would become
        # a light grey and the text a dark grey.  Use each group's most frequent exact colour instead
        # (the background, the text and the lines keep theirs; only antialiased edges move).
        index = np.asarray(quantised).astype(np.uint64).ravel()
        exact = ((stack[..., 0].astype(np.uint64) << 16) | (stack[..., 1].astype(np.uint64) << 8)
                 | stack[..., 2].astype(np.uint64)).ravel()
        keys, counts = np.unique((index << 24) | exact, return_counts=True)
        groups = keys >> 24
        order = np.lexsort((-counts, groups))
        first = order[np.r_[True, groups[order][1:] != groups[order][:-1]]]
        first = first[np.argsort(-counts[first], kind="stable")]
        modes = keys[first] & 0xFFFFFF
        self.colours = np.stack([(modes >> 16) & 255, (modes >> 8) & 255, modes & 255], axis=1).astype(np.uint8)
        # A lookup table over a 64-level-per-channel colour cube: each cell maps to the palette colour
        # nearest its centre, except that a cell holding a palette colour maps to it exactly (the
        # background stays pure white).  Palette colours come sorted by frequency, so the most
        # frequent one wins a cell it shares.
        from scipy.spatial import cKDTree

        levels = (np.arange(64) * 4 + 2).astype(np.float32)
        cube = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 3)
        lut = cKDTree(self.colours.astype(np.float32)).query(cube)[1].astype(np.uint8)
        cells = self._cell(self.colours)
        for i in range(len(self.colours) - 1, -1, -1):
            lut[cells[i]] = i
        self.lut = lut
        self.flat = self.colours.ravel().tolist()

    @staticmethod
    def _cell(rgb):
        cell = (rgb[..., 0] >> 2).astype(np.uint32)
        cell <<= 6
        cell |= rgb[..., 1] >> 2
        cell <<= 6
        cell |= rgb[..., 2] >> 2
        return cell

    def apply(self, rgb):
        """The frame with every pixel replaced by its palette colour (a Pillow palette image)."""
        from PIL import Image

        image = Image.fromarray(np.take(self.lut, self._cell(rgb)), "L")
        image.putpalette(self.flat)
        return image

    def misses(self, rgb):
        """Share of a frame's pixels (every second row and column) that the palette misses by more
        than :data:`MISS_LEVELS` in some channel: a colour this palette does not have."""
        sample = np.ascontiguousarray(rgb[::2, ::2])
        mapped = self.colours[np.take(self.lut, self._cell(sample))]
        return float(np.mean(np.abs(mapped.astype(np.int16) - sample).max(axis=-1) > MISS_LEVELS))


def _encode(image, values, dpi=None):
    """Lossless WebP of a palette-reduced frame, tagged with the values it was drawn for (and the
    resolution it was drawn at, as a PNG's pHYs would say: a figure inch is ``dpi`` pixels)."""
    from PIL import Image

    exif = Image.Exif()
    exif[_EXIF_DESCRIPTION] = _FRAME_TAG + json.dumps({k: _plain(v) for k, v in values.items()},
                                                      sort_keys=True)
    if dpi:
        exif[_EXIF_X_RESOLUTION] = exif[_EXIF_Y_RESOLUTION] = float(dpi)
        exif[_EXIF_RESOLUTION_UNIT] = _EXIF_INCH
    out = io.BytesIO()
    image.save(out, "WEBP", lossless=True, quality=30, method=1, exif=exif.tobytes())
    return out.getvalue()


def read_frame_values(data):
    """The control values a frame (WebP bytes written by this module) was drawn for, or None."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        text = image.getexif().get(_EXIF_DESCRIPTION)
    if not text or not str(text).startswith(_FRAME_TAG):
        return None
    return json.loads(str(text)[len(_FRAME_TAG):])


def read_frame_dpi(data):
    """The resolution (pixels per figure inch) a frame was drawn at, from its EXIF, or None."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
    if exif.get(_EXIF_RESOLUTION_UNIT) != _EXIF_INCH or not exif.get(_EXIF_X_RESOLUTION):
        return None
    return float(exif[_EXIF_X_RESOLUTION])


def _reduce(palette, rgb):
    """The frame on the widget's shared palette, or on its own palette when the shared one misses
    one of its colours (a colour that only some frames have, e.g. behind a dropdown)."""
    if palette.misses(rgb) > MISS_SHARE:
        palette = _Palette([rgb])
    return palette.apply(rgb)


def _encode_both(palette, rgb, values, dpi):
    """``(frame, 1x frame)``: the frame drawn at ``dpi`` (STATIC_SCALE x the widget's resolution)
    and the same frame reduced to the widget's resolution (Lanczos, then the frame's palette) for
    screens of one device pixel per CSS pixel, each tagged with its values and its resolution."""
    from PIL import Image

    if palette.misses(rgb) > MISS_SHARE:
        palette = _Palette([rgb])
    height, width = rgb.shape[:2]
    size = (round(width / STATIC_SCALE), round(height / STATIC_SCALE))
    small = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))
    return (_encode(palette.apply(rgb), values, dpi),
            _encode(palette.apply(small), values, dpi * size[0] / width))


def _render_chunk(widget, palette, points, both=False):
    dpi = widget.fig.get_dpi()
    if both:
        return [_encode_both(palette, _rgb(widget, values), values, dpi) for values in points]
    return [_encode(_reduce(palette, _rgb(widget, values)), values, dpi) for values in points]


def _processes():
    if not hasattr(os, "fork") or sys.platform != "linux":
        return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _forget_inherited_fonts():
    """Drop the FreeType fonts this forked child inherited, so it opens its own.

    An inherited ``FT2Font`` reads its font file through a file descriptor whose offset the
    parent shares: parent and child reading glyphs at the same time corrupt each other's reads
    (FreeType: "too many hints").  Matplotlib empties its own font cache in a forked child; the
    parsed mathtext cache also holds fonts.
    """
    from matplotlib import font_manager, mathtext

    font_manager._get_font.cache_clear()
    mathtext.MathTextParser._parse_cached.cache_clear()


def _forked(func, chunks):
    """``[func(chunk) for chunk in chunks]``, the first chunk here and the others in forked children.

    Forking (rather than pickling the widget to a pool) lets the children use the widget as it
    is, closures and all.  A child touches nothing the kernel shares: it draws, encodes, pickles
    its result into a pipe and leaves with ``os._exit``; anything it would print is returned and
    re-emitted here, and a failure comes back as the child's traceback.
    """
    children = []
    for chunk in chunks[1:]:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            status = 0
            try:
                os.close(read_fd)
                _forget_inherited_fonts()
                sys.stdout = sys.stderr = captured = io.StringIO()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    result = func(chunk)
                payload = ("ok", result, [(str(w.message), w.category) for w in caught], captured.getvalue())
            except BaseException:  # noqa: BLE001 - everything goes back to the parent
                payload = ("error", traceback.format_exc(), [], "")
                status = 1
            try:
                with os.fdopen(write_fd, "wb") as pipe:
                    pickle.dump(payload, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            finally:
                os._exit(status)
        os.close(write_fd)
        children.append((pid, read_fd))
    try:
        results = [func(chunks[0])]
    finally:
        replies = []
        for pid, read_fd in children:
            with os.fdopen(read_fd, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(pid, 0)
            replies.append((data, status))
    for data, status in replies:
        if not data:
            raise RuntimeError(f"a frame-drawing process died (wait status {status}) without a result")
        kind, result, caught, printed = pickle.loads(data)
        if kind == "error":
            raise RuntimeError(f"drawing static frames failed in a worker process:\n{result}")
        for message, category in caught:
            warnings.warn(message, category, stacklevel=2)
        if printed:
            print(printed, end="")
        results.append(result)
    return results


def _palette_samples(axes, count=PALETTE_SAMPLES):
    """Indices of up to ``count`` frames spread over the grid, in which every control takes each of
    its values when it has at most ``count`` (a dropdown's options often bring their own colours)."""
    m = min(count, max(3, *(len(axis.values) for axis in axes)))
    picks = set()
    for j in range(m):
        index = 0
        for axis in axes:
            n = len(axis.values)
            index = index * n + (j * n) // m
        picks.add(index)
    last = 1
    for axis in axes:
        last *= len(axis.values)
    return sorted(picks | {last - 1})


def render_frames(widget, axes=None, processes=None, one_x=False):
    """Draw and encode every frame of the widget's static grid.

    Parameters
    ----------
    widget : FigureWidget
    axes : list of ControlAxis, optional
        The grid (default: :func:`control_axes`).
    processes : int, optional
        Drawing processes (default: the CPUs this process may use; 1 where ``fork`` is unsafe).
    one_x : bool
        Also return each frame reduced to the widget's own resolution (one device pixel per CSS
        pixel), from the same drawing.

    Returns
    -------
    list of bytes, or of (bytes, bytes) with ``one_x``
        WebP frames in :func:`grid_points` order (with ``one_x``: each frame and its 1x version).
        The widget's figure shows its current values again afterwards.
    """
    axes = control_axes(widget) if axes is None else axes
    points = [values for _, values in grid_points(axes)]
    processes = _processes() if processes is None else max(1, int(processes))
    scale_dpi = widget.dpi * STATIC_SCALE
    original_dpi = widget.fig.get_dpi()
    widget.fig.set_dpi(scale_dpi)
    try:
        # The palette comes from a few frames drawn here (encoded here too); the other frames are
        # shared out between the processes.
        picks = _palette_samples(axes)
        sampled = {i: _rgb(widget, points[i]) for i in picks}
        palette = _Palette(list(sampled.values()))
        if one_x:
            done = {i: _encode_both(palette, rgb, points[i], scale_dpi) for i, rgb in sampled.items()}
        else:
            done = {i: _encode(_reduce(palette, rgb), points[i], scale_dpi) for i, rgb in sampled.items()}
        rest = [i for i in range(len(points)) if i not in done]
        # Interleaved chunks: neighbouring frames cost about the same, so the work splits evenly.
        n = min(processes, max(1, len(rest) // 4))
        chunks = [[points[i] for i in rest[j::n]] for j in range(n)]
        work = lambda chunk: _render_chunk(widget, palette, chunk, one_x)  # noqa: E731
        rendered = _forked(work, chunks) if n > 1 else [work(chunks[0])]
    finally:
        widget.fig.set_dpi(original_dpi)
        widget.draw_values(widget.values())
    for j, chunk in enumerate(rendered):
        for i, data in zip(rest[j::len(rendered)], chunk):
            done[i] = data
    return [done[i] for i in range(len(points))]


# -------------------------------------------------------------------------------------------
# The cache: keyed on the code a widget's frames depend on, the data they show, and the page
# -------------------------------------------------------------------------------------------
class _Unhashable(Exception):
    """The dependency walk met something it cannot hash reliably: the broad key is used."""


_WALK_LIMIT = 2_000_000  # objects visited before giving up (and using the broad key)
# FigureWidget attributes that are drawing state or live controls, not inputs of a frame (the
# controls' grid is part of the key on its own).
_WIDGET_STATE = frozenset({"fig", "image", "controls", "buttons", "artists", "last_draw_seconds", "_holding"})


@functools.lru_cache(maxsize=1)
def _installed_dirs():
    import site
    import sysconfig

    dirs = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    dirs.update(site.getsitepackages())
    dirs.add(site.getusersitepackages())
    return tuple(str(Path(d).resolve()) + os.sep for d in dirs if d)


def _is_project_module(name):
    """True for coursekit's modules and the book's own code (a page's cells run as ``__main__``,
    a module imported from a file outside the installed packages and the standard library);
    false for an installed library, whose version stands for its code."""
    if name == "coursekit" or name.startswith("coursekit.") or name == "__main__":
        return True
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    if not path:
        return False
    return not str(Path(path).resolve()).startswith(_installed_dirs())


def _library(name):
    """``package==version`` of the installed library a module name belongs to."""
    top = (name or "").partition(".")[0]
    module = sys.modules.get(top)
    return f"{top}=={getattr(module, '__version__', '?')}"


class _DependencyWalk:
    """Hash of everything a widget's frames are computed from, found by following references.

    From the widget (its class, its ``draw``, ``describe`` and other attributes) and the functions
    that draw and encode the frames, the walk follows every reference a function's code can make:
    the globals its bytecode (and that of the functions, lambdas and comprehensions nested in it)
    names, attributes of the project modules it reaches under those names, the modules it imports
    inside its body, its closure cells and default values; a class brings its attributes and
    methods and its project base classes; an object its class and attributes.  What is hashed:
    the bytecode and constants of every project function reached (so a change to one function of
    a module changes the key of the widgets that reach it, and of no other), and the data they
    reach (arrays by their bytes, objects of installed libraries pickled), plus the version of
    every installed library met.  Something it cannot hash (an object that cannot be pickled, a
    walk over :data:`_WALK_LIMIT` objects) raises :class:`_Unhashable`.
    """

    def __init__(self):
        self.digest = hashlib.sha256()
        self.seen = {}
        self.keep = []  # objects seen stay alive, so their ids stay unique during the walk
        self.libraries = set()
        self.modules = set()  # project modules reached (for tests and reports)
        self.sources = set()  # project modules hashed whole (see function())
        self.names = set()  # every name the project code reached looks up
        self.module_objects = {}  # the project modules reached

    def feed(self, *parts):
        for part in parts:
            data = part if isinstance(part, bytes) else str(part).encode()
            self.digest.update(len(data).to_bytes(8, "little"))
            self.digest.update(data)

    def walk(self, obj):
        import types

        if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
            self.feed(type(obj).__name__, repr(obj))
            return
        if id(obj) in self.seen:
            self.feed("ref", self.seen[id(obj)])
            return
        self.seen[id(obj)] = len(self.seen)
        self.keep.append(obj)
        if len(self.seen) > _WALK_LIMIT:
            raise _Unhashable(f"more than {_WALK_LIMIT} objects")
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject:
                self.feed("object-array", obj.shape)
                for item in obj.ravel():
                    self.walk(item)
            else:
                self.feed("array", obj.dtype.str, obj.shape, np.ascontiguousarray(obj).tobytes())
        elif isinstance(obj, np.generic):
            self.feed("scalar", obj.dtype.str, obj.tobytes())
        elif isinstance(obj, (list, tuple)):
            self.feed(type(obj).__name__, len(obj))
            for item in obj:
                self.walk(item)
        elif isinstance(obj, dict):
            self.feed("dict", len(obj))
            for key, value in obj.items():
                self.walk(key)
                self.walk(value)
        elif isinstance(obj, (set, frozenset)):
            items = sorted(obj, key=repr)
            if not all(x is None or isinstance(x, (bool, int, float, str, bytes)) for x in items):
                raise _Unhashable(f"a set of {type(items[0]).__name__}")
            self.feed("set", repr(items))
        elif isinstance(obj, types.ModuleType):
            self.module(obj)
        elif isinstance(obj, types.FunctionType):
            self.function(obj)
        elif isinstance(obj, types.MethodType):
            self.feed("method")
            self.walk(obj.__func__)
            self.walk(obj.__self__)
        elif isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType)):
            owner = getattr(obj, "__self__", None)
            self.feed("builtin", getattr(obj, "__qualname__", repr(obj)))
            if owner is not None and not isinstance(owner, types.ModuleType):
                self.walk(owner)
            else:
                self.library(getattr(obj, "__module__", None) or getattr(owner, "__name__", "builtins"))
        elif isinstance(obj, (staticmethod, classmethod)):
            self.feed(type(obj).__name__)
            self.walk(obj.__func__)
        elif isinstance(obj, property):
            self.feed("property")
            for accessor in (obj.fget, obj.fset, obj.fdel):
                self.walk(accessor)
        elif isinstance(obj, type):
            self.cls(obj)
        elif isinstance(obj, types.CodeType):
            self.code(obj)
        elif self.opaque(obj):
            self.feed("opaque", type(obj).__module__, type(obj).__qualname__)
        else:
            self.instance(obj)

    def library(self, name):
        if name and not _is_project_module(name):
            self.libraries.add(_library(name))

    @staticmethod
    def opaque(obj):
        """Figures, artists, canvases and controls: drawing state, not an input of a frame."""
        from matplotlib.artist import Artist
        from matplotlib.backend_bases import FigureCanvasBase, RendererBase

        import ipywidgets

        return isinstance(obj, (Artist, FigureCanvasBase, RendererBase, ipywidgets.Widget))

    def module(self, module):
        name = module.__name__
        self.feed("module", name)
        if _is_project_module(name):
            self.modules.add(name)
            self.module_objects[name] = module
        else:
            self.library(name)

    def cls(self, cls):
        self.feed("class", cls.__module__, cls.__qualname__)
        if not _is_project_module(cls.__module__):
            self.library(cls.__module__)
            return
        self.modules.add(cls.__module__)
        for base in cls.__bases__:
            self.walk(base)
        for name, value in cls.__dict__.items():
            if name in ("__dict__", "__weakref__", "__module__", "__doc__", "__qualname__",
                        "__annotations__", "__dataclass_fields__", "__dataclass_params__"):
                continue
            self.feed(name)
            self.walk(value)

    def instance(self, obj):
        import functools

        cls = type(obj)
        if isinstance(obj, functools.partial):
            self.feed("partial")
            for part in (obj.func, obj.args, obj.keywords):
                self.walk(part)
            return
        for inner in ("py_func", "__wrapped__"):  # numba dispatchers, decorated functions
            target = getattr(obj, inner, None)
            if callable(target):
                self.feed("wrapped", cls.__module__, cls.__qualname__)
                self.library(cls.__module__)
                self.walk(target)
                return
        if _is_project_module(cls.__module__):
            self.walk(cls)
            skip = _WIDGET_STATE if _is_figure_widget(obj) else ()
            state = dict(getattr(obj, "__dict__", {}))
            for slot in getattr(cls, "__slots__", ()):
                if hasattr(obj, slot):
                    state[slot] = getattr(obj, slot)
            self.feed("instance", len(state))
            for name, value in state.items():
                if name in skip:
                    continue
                self.feed(name)
                self.walk(value)
            return
        self.library(cls.__module__)
        try:
            data = pickle.dumps(obj, protocol=4)
        except Exception as exc:  # noqa: BLE001 - any failure means: cannot hash it
            raise _Unhashable(f"a {cls.__module__}.{cls.__qualname__} that cannot be pickled ({exc})") from None
        self.feed("pickled", cls.__module__, cls.__qualname__, data)

    def function(self, func):
        module_name = getattr(func, "__module__", None) or ""
        self.feed("function", module_name, func.__qualname__)
        if not _is_project_module(module_name):
            self.library(module_name)
            return
        if module_name != "__main__":
            self.modules.add(module_name)
        code = func.__code__
        self.code(code)
        self.walk(func.__defaults__)
        self.walk(func.__kwdefaults__)
        for name, cell in zip(code.co_freevars, func.__closure__ or ()):
            self.feed("free", name)
            try:
                self.walk(cell.cell_contents)
            except ValueError:  # an empty cell (a name assigned later)
                self.feed("empty")
        # The globals its code (and the code nested in it) names, and the modules it imports; the
        # attributes of project modules it may reach are followed by resolve_attributes().
        names = _code_names(code)
        self.names |= names
        if names & _DYNAMIC and module_name != "__main__":
            # A name looked up at run time (getattr, eval, import_module) may reach any function of
            # the module: the whole module's source counts.
            self.source(module_name)
        globals_ = func.__globals__
        for name in sorted(names):
            if name in globals_:
                self.feed("global", name)
                self.walk(globals_[name])
        for target in sorted(_code_imports(code)):
            self.feed("import", target)
            self.walk(_import_target(target, globals_))

    def resolve_attributes(self):
        """Walk every attribute, named anywhere in the code reached, of every project module reached.

        Flow-insensitive on purpose: ``plotting.plot_x``, ``km.assign`` after
        ``from .. import kmeans as km``, or ``g.sample`` where ``g`` was returned by a function
        are all found, whichever way the module got there.
        """
        done = set()
        while True:
            pending = sorted((module.__name__, name) for module in self.module_objects.values()
                             for name in self.names if (module.__name__, name) not in done)
            if not pending:
                return
            for module_name, name in pending:
                done.add((module_name, name))
                module = self.module_objects[module_name]
                if hasattr(module, "__path__") and name not in vars(module) and not name.startswith("__"):
                    _import_submodule(module, name)  # what it holds must not depend on what ran before
                if name in vars(module):
                    self.feed("attribute", module_name, name)
                    self.walk(vars(module)[name])

    def source(self, module_name):
        if module_name in self.sources:
            return
        self.sources.add(module_name)
        path = getattr(sys.modules.get(module_name), "__file__", None)
        if not path:
            raise _Unhashable(f"module {module_name} looks names up at run time and has no source file")
        self.feed("source", module_name, Path(path).read_bytes())

    def code(self, code):
        self.feed("code", code.co_name, code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
                  code.co_flags, code.co_code, repr(code.co_names), repr(code.co_varnames),
                  repr(code.co_freevars), repr(code.co_cellvars))
        for const in code.co_consts:
            self.walk(const)


def _filled(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


_DYNAMIC = frozenset({"getattr", "vars", "eval", "exec", "__import__", "import_module", "globals", "locals"})


def _code_names(code):
    """Every name a code object and the code nested in it may look up: its globals and attribute
    names, and its string constants that could be names (``getattr(module, "name")``)."""
    import types

    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
        elif isinstance(const, str) and const.isidentifier():
            names.add(const)
    return names


def _code_imports(code):
    """``(level, module)`` of every ``import`` statement in a code object and the code nested in it."""
    import dis
    import types

    found = set()
    consts = []
    for instruction in dis.get_instructions(code):
        if instruction.opname == "LOAD_CONST":
            consts.append(instruction.argval)
        elif instruction.opname == "IMPORT_NAME":
            level = consts[-2] if len(consts) >= 2 and isinstance(consts[-2], int) else 0
            found.add((level, instruction.argval))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found |= _code_imports(const)
    return found


def _import_submodule(package, name):
    """Import ``package.name`` if it is a submodule (so the package has it as an attribute)."""
    import importlib.util

    absolute = f"{package.__name__}.{name}"
    try:
        found = absolute in sys.modules or importlib.util.find_spec(absolute) is not None
    except (ImportError, ValueError):
        found = False
    if found:
        try:
            importlib.import_module(absolute)
        except ImportError as exc:
            raise _Unhashable(f"import {absolute}: {exc}") from None


def _import_target(target, globals_):
    """The module an ``import`` in a function with these globals would bind (imported now if need be)."""
    import importlib

    level, name = target
    package = globals_.get("__package__") or globals_.get("__name__", "")
    absolute = importlib.util.resolve_name("." * level + name, package) if level else name
    if absolute not in sys.modules:
        try:
            importlib.import_module(absolute)
        except ImportError as exc:
            raise _Unhashable(f"import {absolute}: {exc}") from None
    return sys.modules[absolute]


def _is_figure_widget(obj):
    from ._base import FigureWidget

    return isinstance(obj, FigureWidget)


def widget_dependencies(widget):
    """``(digest, modules)``: a hash of the code and data the widget's frames are drawn from (see
    :class:`_DependencyWalk`) and the project modules reached, or ``(None, reason)`` when they
    cannot all be hashed."""
    walk = _DependencyWalk()
    try:
        walk.walk(widget)
        # The code that draws, reduces and encodes the frames and writes their alt text.
        for func in (render_frames, static_payload, control_axes, grid_points):
            walk.walk(func)
        walk.resolve_attributes()
    except (_Unhashable, RecursionError) as exc:
        return None, str(exc) if isinstance(exc, _Unhashable) else "references nested too deep"
    import matplotlib
    import PIL

    walk.libraries.update({f"numpy=={np.__version__}", f"matplotlib=={matplotlib.__version__}",
                           f"PIL=={PIL.__version__}", f"python=={sys.version}"})
    walk.feed("libraries", *sorted(walk.libraries))
    widget_dependencies.last_sources = sorted(walk.sources)
    return walk.digest.hexdigest(), sorted(walk.modules)


def _data_digest():
    """Hash of coursekit's data files (a function may read one while drawing)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted((package / "data").glob("*")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _code_digest():
    """The broad key, used when a widget's dependencies cannot be walked: every ``coursekit``
    module loaded, the data files, and the versions of the libraries that draw and encode."""
    import matplotlib
    import PIL

    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    files = set()
    for name, module in list(sys.modules.items()):
        if name == "coursekit" or name.startswith("coursekit."):
            path = getattr(module, "__file__", None)
            if path:
                files.add(Path(path).resolve())
    files.update((package / "data").glob("*"))
    for path in sorted(files):
        digest.update(str(path.relative_to(package) if path.is_relative_to(package) else path).encode())
        digest.update(path.read_bytes())
    digest.update(f"{np.__version__} {matplotlib.__version__} {PIL.__version__} {FORMAT_VERSION}".encode())
    return digest.hexdigest()


def _widget_code_digest(widget):
    """What the cache key says about the widget's code: the narrow digest, or the broad one."""
    digest, _ = widget_dependencies(widget)
    if digest is None:
        return "all:" + _code_digest()
    return "deps:" + hashlib.sha256(f"{digest} {_data_digest()} {FORMAT_VERSION}".encode()).hexdigest()


def _page_digest():
    """Hash of the code cells this kernel has run so far (the page up to this widget), or None
    outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipywidgets needs IPython
        return None
    shell = get_ipython()
    if shell is None:
        return None
    cells = shell.user_ns.get("In") or []
    return hashlib.sha256("\0".join(cells).encode()).hexdigest()


_exports_in_this_kernel = [0]


def _cache_key(widget, axes, buttons):
    page = _page_digest()
    if page is None:
        return None
    _exports_in_this_kernel[0] += 1
    spec = json.dumps({
        "page": page, "ordinal": _exports_in_this_kernel[0], "title": widget.title,
        "grid": [[a.name, a.kind, a.values, a.labels] for a in axes], "buttons": buttons,
        "figsize": list(widget.fig.get_size_inches()), "dpi": widget.dpi, "scale": STATIC_SCALE,
        "colours": PALETTE_COLOURS,
    }, sort_keys=True, default=str)
    return hashlib.sha256((_widget_code_digest(widget) + spec).encode()).hexdigest()[:32]


def _cache_read(cache_dir, key):
    path = Path(cache_dir) / f"{key}.json"
    try:
        payload = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    os.utime(path)  # most recently used: kept when the cache is trimmed
    return payload


def _cache_write(cache_dir, key, payload):
    directory = Path(cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(payload, f)
    os.replace(tmp, directory / f"{key}.json")
    entries = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    total = 0
    for entry in entries:
        total += entry.stat().st_size
        if total > _CACHE_LIMIT_BYTES:
            entry.unlink(missing_ok=True)


# -------------------------------------------------------------------------------------------
# What the book's extension receives
# -------------------------------------------------------------------------------------------
def static_payload(widget, cache_dir=None, processes=None):
    """Everything the static page needs for ``widget``, as a JSON-able dict.

    Keys: ``title``, ``width``/``height`` (CSS pixels), ``controls`` (name, label, kind, grid
    labels and values, default position), ``buttons`` (:class:`Step` buttons), ``mime`` and
    ``frames`` (row-major over the controls: each with its grid position ``index``, the
    ``values``, the alt text ``alt``, the image ``data`` at ``scale`` x and ``data_1x`` at the
    widget's own resolution, base64).  With ``cache_dir`` the
    frames are read from / written to the cache there (see the module docstring).
    """
    axes = control_axes(widget)
    buttons = _buttons(widget, axes)
    key = _cache_key(widget, axes, buttons) if cache_dir else None
    if key is not None:
        cached = _cache_read(cache_dir, key)
        if cached is not None:
            return cached
    frames = render_frames(widget, axes, processes=processes, one_x=True)
    width, height = widget.fig.get_size_inches() * widget.dpi
    payload = {
        "format": PAYLOAD_MARKER, "version": FORMAT_VERSION, "title": widget.title,
        "width": int(round(width)), "height": int(round(height)), "scale": STATIC_SCALE,
        "controls": [{"name": a.name, "label": a.label, "kind": a.kind, "labels": a.labels,
                      "values": a.values, "default": a.default} for a in axes],
        "buttons": buttons, "mime": "image/webp",
        "frames": [{"index": list(index), "values": values, "alt": widget.frame_description(values),
                    "data": base64.b64encode(data).decode("ascii"),
                    "data_1x": base64.b64encode(data_1x).decode("ascii")}
                   for (index, values), (data, data_1x) in zip(grid_points(axes), frames)],
    }
    if key is not None:
        _cache_write(cache_dir, key, payload)
    return payload


def static_html(widget, cache_dir=None, processes=None):
    """The widget's static payload inside a ``<script>`` element (the notebook's text/html output),
    which the book's Sphinx extension replaces by the controls, the figure and the frame files."""
    payload = json.dumps(static_payload(widget, cache_dir=cache_dir, processes=processes),
                         separators=(",", ":"))
    # "<" never appears in base64, but it may in an alt text: keep the script element intact.
    payload = payload.replace("<", "\\u003c")
    return f'<script type="{PAYLOAD_MARKER}">{payload}</script>'
