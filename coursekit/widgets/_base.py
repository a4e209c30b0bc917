"""The one mechanism every book widget uses: controls that redraw a matplotlib figure.

A :class:`FigureWidget` owns a headless matplotlib ``Figure`` (no pyplot state), a dict of
ipywidgets controls and a ``draw(fig, **values)`` function.  Moving a control redraws the
figure and shows it as a PNG in an ``ipywidgets.Image``.  Tests drive it without a browser:
``w.update(sigma1=2.0)`` changes the control, redraws, and ``w.png`` / the figure's artists
change.

The same widget also works on the book's static web site, where no kernel runs: while the book
is built, each widget draws its figure for every point of a grid of control values (``grid``;
discrete controls need none) with this same ``draw`` function, and the page swaps between those
frames when the reader moves the HTML controls (:mod:`coursekit.widgets._static`).
"""

from __future__ import annotations

import io
import os
import sys
import time
import traceback

import ipywidgets as widgets
from matplotlib.figure import Figure

__all__ = ["FigureWidget", "Step"]

LIVE_HINT = (
    "the figure at the widget's default values; on the book's web page its controls work, and "
    "running the page live (`make lab`, or the launch button) redraws it for any values"
)


class Step:
    """A button action that moves one control a notch (for step-through widgets).

    Pressing the button moves control ``control`` by ``delta`` positions (slider steps, or
    options of a selection control); past the end it wraps around when ``wrap`` is true and
    stays put otherwise.  The static page gets the same button, because what it does is known
    (an arbitrary callable's effect is not, so a widget with one cannot be made static).

    Parameters
    ----------
    control : str
        Name of the control the button moves.
    delta : int
        Positions per press (negative: backwards).
    wrap : bool
        Whether to wrap around at the ends.
    """

    def __init__(self, control, delta=1, wrap=True):
        if not isinstance(control, str):
            raise TypeError(f"control must be the name of a control (str), got {type(control).__name__}")
        if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0:
            raise ValueError(f"delta must be a non-zero int, got {delta!r}")
        self.control, self.delta, self.wrap = control, delta, bool(wrap)

    def __repr__(self):
        return f"Step({self.control!r}, delta={self.delta}, wrap={self.wrap})"

    def __call__(self, widget):
        control = widget.controls[self.control]
        options = getattr(control, "options", None)
        if options is not None:  # selection controls: step through the options
            n, i = len(options), control.index
            j = i + self.delta
            control.index = j % n if self.wrap else min(max(j, 0), n - 1)
            return
        lo, hi, step = control.min, control.max, control.step
        value = control.value + self.delta * step
        if value > hi + 1e-12 * max(1.0, abs(hi)):
            value = lo if self.wrap else hi
        elif value < lo - 1e-12 * max(1.0, abs(lo)):
            value = hi if self.wrap else lo
        control.value = value


class FigureWidget:
    """Controls plus a figure that is redrawn whenever a control changes.

    Parameters
    ----------
    controls : dict[str, ipywidgets.ValueWidget]
        Keyword name -> control; each control's ``value`` is passed to ``draw`` under its name.
    draw : callable
        ``draw(fig, **values)`` draws on the cleared ``matplotlib.figure.Figure``.
    figsize : tuple of float
        Figure size in inches.
    dpi : int
        Resolution of the PNG shown in the widget; also the figure's size on the static page
        (``figsize * dpi`` CSS pixels), whose frames are drawn at twice this resolution.
    title : str
        Short description, also the PNG's alt text in static pages.
    buttons : dict[str, callable], optional
        Extra buttons (e.g. "step"); each callable receives this widget and may change state
        before the automatic redraw.  Use :class:`Step` for step-through buttons: only those
        have a static-page equivalent.
    grid : dict[str, sequence], optional
        For the static page: the control values to pre-render, per control.  Controls with
        few values (dropdowns, selection sliders, int sliders with at most
        ``_static.AUTO_GRID_MAX`` values) default to all of them; float sliders and long int
        sliders must be listed.  The default value is always included.  The static page shows
        the figure for every combination, so keep the product small (see ``_static``).
    describe : callable, optional
        ``describe(**values) -> str``: what the figure shows at those values, used as each
        static frame's alt text.  Default: the title and the control values.
    """

    def __init__(self, controls, draw, figsize=(6.0, 4.0), dpi=80, title="", buttons=None,
                 grid=None, describe=None):
        self.controls = dict(controls)
        self._draw = draw
        self.title = title
        self.dpi = dpi
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.buttons = {}
        self.actions = {}
        self.last_draw_seconds = None
        grid = dict(grid or {})
        unknown = set(grid) - set(self.controls)
        if unknown:
            raise ValueError(f"grid names unknown control(s) {sorted(unknown)}; known: {sorted(self.controls)}")
        self.grid = grid
        if describe is not None and not callable(describe):
            raise TypeError(f"describe must be callable(**values) -> str, got {type(describe).__name__}")
        self.describe = describe
        for name, action in (buttons or {}).items():
            if isinstance(action, Step) and action.control not in self.controls:
                raise ValueError(f"button {name!r} steps unknown control {action.control!r}; "
                                 f"known: {sorted(self.controls)}")
            button = widgets.Button(description=name)
            button.on_click(lambda _b, action=action: (action(self), self.redraw()))
            self.buttons[name] = button
            self.actions[name] = action
        self._holding = False
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.redraw()
        from . import _static

        if os.environ.get(_static.STATIC_ENV):
            # The book is being built: a widget the static page cannot show fails its cell here,
            # with the reason, rather than when it is displayed (where IPython would only log it).
            _static.check_static(self)

    # -- state -------------------------------------------------------------------------------
    def values(self):
        """Current control values, as passed to ``draw``."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self, **values):
        """Set several controls at once and redraw once (what a test or a script calls)."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown control(s) {sorted(unknown)}; known: {sorted(self.controls)}")
        self._holding = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._holding = False
        self.redraw()
        return self

    def press(self, name):
        """Press one of the extra buttons (as a reader would), then redraw."""
        if name not in self.buttons:
            raise ValueError(f"unknown button {name!r}; known: {sorted(self.buttons)}")
        self.buttons[name].click()
        return self

    def _on_change(self, _change):
        if not self._holding:
            self.redraw()

    def draw_values(self, values):
        """Draw the figure for ``values`` (a dict over all controls) without touching the controls.

        This is the only drawing path, shared by :meth:`redraw` and the static page's frames, so a
        static frame is exactly the figure the live widget shows for the same values.
        """
        self.fig.clear()
        self._draw(self.fig, **values)

    def redraw(self):
        """Clear the figure, draw it for the current values and refresh the PNG."""
        start = time.perf_counter()
        self.draw_values(self.values())
        self.image.value = self.png
        self.last_draw_seconds = time.perf_counter() - start

    @property
    def png(self):
        """The figure rendered as PNG bytes."""
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=self.dpi)
        return buffer.getvalue()

    def frame_description(self, values):
        """Alt text of the figure at ``values``: ``describe(**values)``, or title and values."""
        if self.describe is not None:
            return str(self.describe(**values))
        from ._static import control_axes

        shown = ", ".join(f"{axis.label} = {axis.format(values[axis.name])}" for axis in control_axes(self))
        return f"{self.title or type(self).__name__}, at {shown}"

    # -- display -----------------------------------------------------------------------------
    @property
    def widget(self):
        """The ipywidgets container: controls (and buttons) above the figure."""
        row = list(self.controls.values()) + list(self.buttons.values())
        return widgets.VBox([widgets.HBox(row, layout=widgets.Layout(flex_flow="row wrap")), self.image])

    def _repr_mimebundle_(self, include=None, exclude=None):
        # The live widget for JupyterLab, plus the figure as a PNG so any static rendering shows it.
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle)
        bundle["image/png"] = self.png
        bundle["text/plain"] = f"{self.title or type(self).__name__} ({LIVE_HINT})"
        from . import _static

        # While the book is built (its Sphinx extension sets the variable), also every frame of
        # the static page's version; anywhere else (JupyterLab) this would only cost time.
        if os.environ.get(_static.STATIC_ENV):
            try:
                bundle["text/html"] = _static.static_html(self, cache_dir=os.environ[_static.STATIC_ENV])
            except Exception:
                # IPython turns an exception here into a logged traceback and displays the rest; the
                # book build treats output on stderr as an error, so the page does not go out without it.
                traceback.print_exc(file=sys.stderr)
                raise
        return bundle
