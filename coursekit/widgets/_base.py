"""The one mechanism every book widget uses: controls that redraw a matplotlib figure.

A :class:`FigureWidget` owns a headless matplotlib ``Figure`` (no pyplot state), a dict of
ipywidgets controls and a ``draw(fig, **values)`` function.  Moving a control redraws the
figure and shows it as a PNG in an ``ipywidgets.Image``.  Tests drive it without a browser:
``w.update(sigma1=2.0)`` changes the control, redraws, and ``w.png`` / the figure's artists
change.  In a static page (no kernel) the notebook output also carries the PNG of the figure at
its default values, so a reader still sees it.
"""

from __future__ import annotations

import io
import time

import ipywidgets as widgets
from matplotlib.figure import Figure

__all__ = ["FigureWidget"]

LIVE_HINT = (
    "Static page: this figure shows the widget at its default values. "
    "Run the page live (`make lab`, or the launch button) to move the controls."
)


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
        Resolution of the PNG shown in the widget.
    title : str
        Short description, also the PNG's alt text in static pages.
    buttons : dict[str, callable], optional
        Extra buttons (e.g. "step"); each callable receives this widget and may change state
        before the automatic redraw.
    """

    def __init__(self, controls, draw, figsize=(6.0, 4.0), dpi=80, title="", buttons=None):
        self.controls = dict(controls)
        self._draw = draw
        self.title = title
        self.dpi = dpi
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.buttons = {}
        self.last_draw_seconds = None
        for name, action in (buttons or {}).items():
            button = widgets.Button(description=name)
            button.on_click(lambda _b, action=action: (action(self), self.redraw()))
            self.buttons[name] = button
        self._holding = False
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.redraw()

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

    def redraw(self):
        """Clear the figure, draw it for the current values and refresh the PNG."""
        start = time.perf_counter()
        self.fig.clear()
        self._draw(self.fig, **self.values())
        self.image.value = self.png
        self.last_draw_seconds = time.perf_counter() - start

    @property
    def png(self):
        """The figure rendered as PNG bytes."""
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=self.dpi)
        return buffer.getvalue()

    # -- display -----------------------------------------------------------------------------
    @property
    def widget(self):
        """The ipywidgets container: controls (and buttons) above the figure."""
        row = list(self.controls.values()) + list(self.buttons.values())
        return widgets.VBox([widgets.HBox(row, layout=widgets.Layout(flex_flow="row wrap")), self.image])

    def _repr_mimebundle_(self, include=None, exclude=None):
        # The live widget for JupyterLab, plus the figure as a PNG so a static page still shows it.
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle)
        bundle["image/png"] = self.png
        bundle["text/plain"] = f"{self.title or type(self).__name__} ({LIVE_HINT})"
        return bundle
