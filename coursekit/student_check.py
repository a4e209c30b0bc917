"""``coursekit check NOTEBOOK``: where a student stands, from a terminal, without handing in.

Runs the student's own notebook in a fresh Jupyter kernel -- its code cells in order, *without*
the test cells (the visible ones are run again by the table, hidden ones never: a released
notebook holds none, and any ``### BEGIN HIDDEN TESTS`` block is dropped anyway) -- then prints
the assignment's "where you stand" table: the visible-test points of every task, what is still
to write, and how many points the hidden tests hold.  Cells of the notebook that raise are
listed (the kernel goes on).

Exit status: 0 when every visible test passes, 1 otherwise, 2 when the file is not a homework
notebook of this course.
"""

import json
import os
import re
import tempfile

MARKER = "COURSEKIT-CHECK-RESULT "
_HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.S | re.M)


def _nbgrader(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _program(nb):
    """The cells to run: the notebook's code cells minus its test cells and its own summary cell."""
    import nbformat

    answers, cells = [], []
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if cell.cell_type != "code":
            continue
        if meta.get("grade") and not meta.get("solution"):
            continue  # a test cell
        if meta.get("grade_id") == "where_you_stand":
            continue
        if meta.get("solution") and meta.get("grade_id"):
            answers.append(meta["grade_id"])
        cells.append(nbformat.v4.new_code_cell(_HIDDEN.sub("", cell.source), metadata={"ck_id": meta.get("grade_id")}))
    return answers, cells


def check_notebook(path, timeout=120, out=print):
    """Run ``path`` and print its table; returns the exit status (0, 1 or 2)."""
    import nbformat
    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    if not os.path.isfile(path):
        out(f"coursekit check: no such file: {path}")
        return 2
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001  (any unreadable file)
        out(f"coursekit check: {path} is not a readable notebook ({type(exc).__name__}: {exc})")
        return 2
    answers, cells = _program(nb)
    code = (f"import coursekit.checks as _ck\n_aid = _ck.assignment_of({answers!r})\n"
            "if _aid is None:\n    print('" + MARKER + "null')\n"
            "else:\n    _ck.ASSIGNMENTS[_aid].summary(globals(), machine=True)\n")
    run = nbformat.v4.new_notebook(cells=cells + [nbformat.v4.new_code_cell(code)],
                                   metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    with tempfile.TemporaryDirectory() as tmp:
        # Unix sockets in a private folder (no TCP port, no warning about unencrypted TCP).
        km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(tmp, "kernel"))
        client = NotebookClient(run, km=km, timeout=timeout, allow_errors=True, interrupt_on_timeout=True,
                                resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
        try:
            client.execute()
        except Exception as exc:  # noqa: BLE001  (kernel died, timeout of the final cell...)
            out(f"coursekit check: running {path} failed: {type(exc).__name__}: {exc}")
            return 2
        finally:
            # nbclient leaves a kernel it did not start running: stop it before leaving (else it
            # outlives this command and prints "Parent appears to have exited" on the terminal).
            if km.has_kernel:
                km.shutdown_kernel()
    errors = []
    for cell in run.cells[:-1]:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                where = cell.metadata.get("ck_id") or "a cell you added"
                errors.append(f"  {where}: {output.get('ename')}: {output.get('evalue')}")
    text = "".join(o.get("text", "") for o in run.cells[-1].get("outputs", []) if o.get("output_type") == "stream")
    final_errors = [o for o in run.cells[-1].get("outputs", []) if o.get("output_type") == "error"]
    if final_errors:
        out(f"coursekit check: the table could not be made: {final_errors[0].get('ename')}: "
            f"{final_errors[0].get('evalue')}")
        return 2
    table, _, result = text.partition(MARKER)
    rows = json.loads(result.strip() or "null")
    if rows is None:
        out(f"coursekit check: {path} is not a homework notebook of this course (no assignment has the functions "
            f"{', '.join(answers) or 'of its answer cells'})")
        return 2
    if errors:
        out("These cells raised an error when run in order (the rest still ran):")
        out("\n".join(errors))
        out("")
    out(table.rstrip("\n"))
    return 0 if all(r["status"] in ("passed", "by hand") for r in rows) else 1
