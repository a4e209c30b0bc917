"""Re-run the code of an executed book page in this process and inspect every figure it shows: its
axes are labelled and no text on it is set in a font too small to read (issue 10).

The PNG on the page cannot say which font size a tick label had or whether an axis has a label;
the matplotlib figure can. So the page's code cells (from the notebook ``make book`` executed) run
again in an IPython shell with the Agg backend; every figure passed to ``plt.show()`` and every
``coursekit.widgets`` widget a cell displays is collected and audited.
"""

from __future__ import annotations

import json
import re

import matplotlib

def _cells(notebook_path):
    notebook = json.loads(notebook_path.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            yield "".join(cell["source"])


def _visible_texts(fig):
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip() and _shown(text):
            extent = text.get_window_extent(renderer)
            if extent.width > 0 and extent.height > 0:
                yield text


def _shown(text):
    return text.axes is None or (text.axes.get_visible() and text.axes.axison) or text.axes.title is text


def _tick_labels_shown(axis):
    return any(label.get_visible() and label.get_text().strip() for label in axis.get_ticklabels())


def _categorical(axis):
    """Tick labels that are words ("Lloyd", "filter") name what the axis shows: no label needed."""
    texts = [label.get_text().replace("\\mathdefault", "") for label in axis.get_ticklabels()
             if label.get_visible() and label.get_text().strip()]
    return bool(texts) and all(re.search("[A-Za-z]{2,}", text) for text in texts)


def _axis_problems(ax, where):
    if not (ax.get_visible() and ax.axison):
        return []
    fig = ax.figure
    problems = []
    axes_3d = ax.name == "3d"
    axis_names = ("x", "y", "z") if axes_3d else ("x", "y")
    for name in axis_names:
        axis = getattr(ax, f"{name}axis")
        if not _tick_labels_shown(axis) or _categorical(axis):
            continue  # no scale shown on it (shared with a labelled neighbour, a bare image), or words
        label = axis.get_label_text().strip()
        figure_label = getattr(fig, f"_sup{name}label", None) if name != "z" else None
        if not label and not (figure_label is not None and figure_label.get_text().strip()):
            title = ax.get_title() or ax.get_label() or "untitled axes"
            problems.append(f"{where}: the {name} axis of {title!r} shows a scale but has no label")
    return problems


def audit_figure(fig, where):
    """(smallest font size in points, problems) of one figure; problems: unlabelled axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not hasattr(fig.canvas, "get_renderer"):  # a widget's bare Figure
        FigureCanvasAgg(fig)
    fig.canvas.draw()  # lays out the text, so what is measured is what is drawn
    problems = []
    for ax in fig.axes:
        problems += _axis_problems(ax, where)
    smallest = min(_visible_texts(fig), key=lambda t: t.get_fontsize(), default=None)
    return smallest, problems


def audit_notebook(notebook_path, cwd):
    """Run the notebook's code cells in a fresh IPython shell; audit every figure shown.

    Returns (figures, problems): for each figure shown, in page order, its smallest text artist
    (None when it has no text); the problems are unlabelled axes."""
    import os

    import matplotlib.pyplot as plt
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from coursekit.widgets._base import FigureWidget

    matplotlib.use("Agg")
    shown = []

    def show(*_args, **_kwargs):
        for number in plt.get_fignums():
            shown.append(plt.figure(number))
        plt.close("all")

    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    shell.user_ns["__name__"] = "__main__"
    original_show, original_cwd = plt.show, os.getcwd()
    plt.show = show
    problems, figures = [], []
    try:
        os.chdir(cwd)
        for index, source in enumerate(_cells(notebook_path)):
            shown.clear()
            with capture_output():
                result = shell.run_cell(source, store_history=False)
            if not result.success:
                raise RuntimeError(f"cell {index} of {notebook_path.name} failed: {result.error_in_exec!r}")
            show()  # a figure created but not shown is still drawn by the inline backend
            if isinstance(result.result, FigureWidget):
                shown.append(result.result.fig)
            for number, fig in enumerate(shown):
                smallest, found = audit_figure(fig, f"cell {index}, figure {number}")
                figures.append(smallest)
                problems += found
    finally:
        plt.show = original_show
        os.chdir(original_cwd)
        plt.close("all")
        InteractiveShell.clear_instance()
    return figures, problems
