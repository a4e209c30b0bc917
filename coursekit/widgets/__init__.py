"""coursekit.widgets: see the submodules; everything public is re-exported here.

Every widget is a :class:`FigureWidget` (controls plus a matplotlib figure they redraw); on the
book's static site the same widget's frames are pre-drawn over a grid of control values
(:mod:`coursekit.widgets._static`).
"""

from ._base import FigureWidget, Step
from ._gaussian import *  # noqa: F401,F403  (chapters 1-3)
from ._clustering import *  # noqa: F401,F403  (chapters 4-7)
from ._kdtree import *  # noqa: F401,F403  (chapter 5: k-means on a kd-tree)
from ._gaussian import __all__ as _g_all
from ._clustering import __all__ as _c_all
from ._kdtree import __all__ as _k_all

__all__ = ["FigureWidget", "Step"] + list(_g_all) + list(_c_all) + list(_k_all)
