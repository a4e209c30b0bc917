"""The known-wrong submissions (``tests/wrong_submissions/*.py``), loaded as modules by name."""

import importlib.util
import os

WRONG_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wrong_submissions")


def wrong_submissions():
    """``{file stem: module}`` for every known-wrong submission, in file-name order."""
    out = {}
    for fname in sorted(os.listdir(WRONG_DIR)):
        if fname.endswith(".py"):
            spec = importlib.util.spec_from_file_location(f"wrong_{fname[:-3]}", os.path.join(WRONG_DIR, fname))
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            out[fname[:-3]] = module
    return out
