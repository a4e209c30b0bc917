"""The library's documentation writes shapes and counts with the book's symbols: N points, D dimensions,
K components or clusters (GUIDE, book/notation.md; issue 10).

A docstring saying ``shape (n, d)`` next to a book that says ``(N, D)`` makes the reader wonder
whether they are different things. Argument names stay lower case (``k``); what they stand for is
written in capitals. Code inside double backticks (``rng.random(n)``) is code, not a symbol.
"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

MODULES = [
    "coursekit.gaussian", "coursekit.mixture", "coursekit.kmeans", "coursekit.kmeans_filter",
    "coursekit.datasets", "coursekit.classifier", "coursekit.plotting", "coursekit.widgets",
]

# A shape written with a lower-case symbol: (n, d), (k,), (d, d), (n, 2) ...; or "n points", "R^d".
LOWER_CASE_SYMBOL = re.compile(
    r"\([nkd](?:(?:,\s?(?:[nkdNKD]|\d+))+|,)\)"
    r"|\b[nkd] (?:points|clusters|components|dimensions|samples|centres|centers)\b"
    r"|\bR\^d\b|\b[nkd] = 1\b"
)
_INLINE_CODE = re.compile(r"``.*?``")


def lower_case_symbols(doc):
    """Lines of a docstring that write N, D or K in lower case (inline code excluded)."""
    return [line.strip() for line in (doc or "").splitlines()
            if LOWER_CASE_SYMBOL.search(_INLINE_CODE.sub("", line))]


def _public_docstrings(module_name):
    module = importlib.import_module(module_name)
    yield module_name, inspect.getdoc(module)
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        yield f"{module_name}.{name}", inspect.getdoc(obj)
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                if not attr.startswith("_") and (callable(value) or isinstance(value, property)):
                    yield f"{module_name}.{name}.{attr}", inspect.getdoc(value)


@pytest.mark.parametrize("module_name", MODULES)
def test_public_docstrings_use_n_d_k(module_name):
    found = {where: lines for where, doc in _public_docstrings(module_name) if (lines := lower_case_symbols(doc))}
    assert not found, "\n".join(f"{where}: {line}" for where, lines in found.items() for line in lines)


def test_the_scan_finds_lower_case_symbols():
    doc = """Fit.

    X : array-like, shape (n, d) or (n,)
    centers : ndarray, shape (k, 2)
    mean : shape (D,)
    Uses ``rng.random(n)`` and ``X[:, :d]`` internally; a vector of length n means d = 1.
    """
    assert lower_case_symbols(doc) == [
        "X : array-like, shape (n, d) or (n,)",
        "centers : ndarray, shape (k, 2)",
        "Uses ``rng.random(n)`` and ``X[:, :d]`` internally; a vector of length n means d = 1.",
    ]
