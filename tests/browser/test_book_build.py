"""``make book`` builds the book, warnings are errors and a failing cell fails the build (issue 4).

The repository's own build is the session fixture ``built_site`` (shared with the static-site tests).
The failing-cell proof builds a throwaway one-page book in a temporary directory with the repository's
``_config.yml`` (and its local extension), through the same recipe (``make book BOOK_DIR=...``), once
with a cell that raises and once without it, so the failure can only come from the cell.
"""

from __future__ import annotations

import pytest

from _browser_support import make_book, tiny_book

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("book")]

CELLS = """```{{code-cell}} python
print("cell one ran")
```

```{{code-cell}} python
{cell}
```
"""


def _tiny_book(tmp_path, cell, config_edit=None):
    """A one-page book (two cells, the second is ``cell``) with the repository's _config.yml and _ext/."""
    return tiny_book(tmp_path / "tinybook", CELLS.format(cell=cell), config_edit)


def test_the_book_builds_with_warnings_as_errors(built_site):
    """``make book`` succeeds on the repository (the fixture fails otherwise)."""
    assert (built_site / "index.html").exists()
    assert (built_site / "_static" / "mathjax" / "tex-chtml.js").exists(), "MathJax is not served locally"


def test_a_failing_cell_fails_the_build(tmp_path):
    good = _tiny_book(tmp_path / "good", 'print("fine")')
    result = make_book(good, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "fine" in (good / "_build" / "html" / "book" / "page.html").read_text()

    bad = _tiny_book(tmp_path / "bad", 'raise RuntimeError("this cell fails on purpose")')
    result = make_book(bad, timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode != 0, "a failing cell did not fail the build:\n" + log[-3000:]
    assert "this cell fails on purpose" in log or "RuntimeError" in log, log[-3000:]


UNRESOLVED = {"doc": "no_such_page", "numref": "no-such-figure", "ref": "no-such-label", "eq": "no-such-equation"}


def test_a_warning_fails_the_build(tmp_path):
    """A cross-reference that does not resolve ({doc}, {numref}, {ref}, {eq}) is only a Sphinx
    warning; with -W it fails the build, and the log names each one."""
    bad = _tiny_book(tmp_path / "warn", 'print("fine")')
    page = bad / "book" / "page.md"
    page.write_text(page.read_text() + "\n" + " ".join(f"See {{{role}}}`{target}`." for role, target in UNRESOLVED.items()) + "\n")
    result = make_book(bad, timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode != 0, "a warning did not fail the build:\n" + log[-3000:]
    missing = [target for target in UNRESOLVED.values() if target not in log]
    assert not missing, f"unresolved references not reported: {missing}\n" + log[-3000:]


@pytest.mark.parametrize(
    "key, url, link",
    [
        ("jupyterhub_url", "https://hub.example.edu", "https://hub.example.edu/hub/user-redirect/git-pull?"),
        ("binderhub_url", "https://binder.example.edu", "https://binder.example.edu/v2/gh/example-org/coursekit/main?"),
    ],
)
def test_launch_buttons_appear_when_an_instructor_sets_a_hub(tmp_path, key, url, link):
    """Setting ``launch_buttons: jupyterhub_url`` (or binderhub_url) gives every page a launch link."""

    def set_hub(config):
        config["launch_buttons"].update(jupyterhub_url="", binderhub_url="")
        config["launch_buttons"][key] = url
        # The hub pulls the repository, so the launch link needs a GitHub/GitLab URL.
        config["repository"]["url"] = "https://github.com/example-org/coursekit"
        config["execute"]["execute_notebooks"] = "off"  # only the page chrome matters here

    root = _tiny_book(tmp_path, 'print("fine")', set_hub)
    result = make_book(root, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (root / "_build" / "html" / "book" / "page.html").read_text().replace("&amp;", "&")
    assert link in html, f"no launch link starting {link!r}"
    assert "example-org%2Fcoursekit" in html or "example-org/coursekit" in html
    assert "lab%2Ftree" in html or "lab/tree" in html  # notebook_interface: jupyterlab
    assert "launch button" in html  # the live note names it once a hub is configured


def test_no_launch_button_without_a_hub(built_site):
    """The default _config.yml names no hub: no launch link, and the note says how to add one."""
    html = (built_site / "book" / "intro.html").read_text()
    assert "git-pull?" not in html and "/v2/gh/" not in html
    assert "launch_buttons: jupyterhub_url" in html
