"""Readable sources of the four assignments (one module each); ``solutions/_build.py`` renders them."""

import importlib
import importlib.util

from ._cells import ASSIGNMENT_IDS

ASSIGNMENTS = {
    aid: importlib.import_module(f"{__name__}.{aid}").CELLS
    for aid in ASSIGNMENT_IDS
    if importlib.util.find_spec(f"{__name__}.{aid}") is not None
}
