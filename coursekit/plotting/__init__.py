"""coursekit.plotting: see the submodules; everything public is re-exported here."""

from ._gaussian import *  # noqa: F401,F403  (chapters 1-3)
from ._clustering import *  # noqa: F401,F403  (chapters 4-7)
from ._gaussian import __all__ as _g_all
from ._clustering import __all__ as _c_all

__all__ = list(_g_all) + list(_c_all)
