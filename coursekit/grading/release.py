"""``coursekit release``: validate the solutions, generate the student versions, check sync.

For each assignment:

1. *validate* — execute the instructor notebook ``SOURCE/ID/ID.ipynb`` top to bottom (it holds
   the solutions and the hidden tests): every cell, hence every test, must pass;
2. *generate* — ``nbgrader generate_assignment ID --force --no-db`` into the release directory
   (``homework/``), in a subprocess with the course's own ``nbgrader_config.py``;
3. *check* — the generated notebook holds no solution or hidden-test text, and has the same
   graded cells (ids, points) as the source.

``--check`` generates into a temporary folder and compares with the committed ``homework/``
instead of writing: CI's way to fail on a stale release.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import nbformat

from . import notebook as nbk
from .runner import CourseDirs

FORBIDDEN = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS",
             "### END HIDDEN TESTS")


class ReleaseError(Exception):
    pass


def validate_solutions(path, timeout=600):
    """Execute the instructor notebook; raise ReleaseError naming the first failing cell."""
    import tempfile

    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # Unix sockets in a private folder (no TCP port, no warning about unencrypted TCP).
            km = KernelManager(kernel_name="python3", transport="ipc",
                               ip=os.path.join(tmp, "kernel"))
            client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=False,
                                    resources={"metadata": {"path": os.path.dirname(path)}})
            client.execute()
    except CellExecutionError as exc:
        cell = next((c for c in nb.cells if c.get("outputs") and any(
            o.get("output_type") == "error" for o in c.outputs)), None)
        where = nbk.grade_id(cell) if cell is not None else "?"
        raise ReleaseError(f"{os.path.basename(path)}: cell {where!r} fails with the solutions: "
                           f"{exc.ename}: {exc.evalue}") from None
    return nb


def _generate(course, aid, release_root):
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", aid, "--force", "--no-db",
           f"--CourseDirectory.root={course.root}",
           f"--CourseDirectory.release_directory={release_root}"]
    proc = subprocess.run(cmd, cwd=course.root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ReleaseError(f"nbgrader generate_assignment {aid} failed:\n{proc.stderr[-2000:]}")


def check_release(source_path, release_path):
    """Problems of a generated notebook against its source (empty list: fine)."""
    problems = []
    if not os.path.isfile(release_path):
        return [f"{release_path} is missing"]
    src = nbformat.read(source_path, as_version=4)
    rel = nbformat.read(release_path, as_version=4)
    for cell in rel.cells:
        for marker in FORBIDDEN:
            if marker in cell.source:
                problems.append(f"{nbk.grade_id(cell) or 'a cell'} still contains {marker!r}")
    def graded(nb):
        return [(nbk.grade_id(c), c.metadata.get("nbgrader", {}).get("points"))
                for c in nb.cells if nbk.is_grade(c)]
    if graded(src) != graded(rel):
        problems.append("graded cells differ from the source (ids or points)")
    return problems


def _canonical(path):
    try:
        with open(path) as fh:
            nb = json.load(fh)
    except (OSError, ValueError):
        return None
    return [(c.get("cell_type"), "".join(c.get("source", "")) if isinstance(c.get("source"), list)
             else c.get("source", ""), json.dumps(c.get("metadata", {}).get("nbgrader", {}),
                                                  sort_keys=True)) for c in nb.get("cells", [])]


def _same_tree(a, b):
    """Differences between two release folders (notebooks compared by cells, files by bytes)."""
    diffs = []
    names = set(os.listdir(a)) | set(os.listdir(b) if os.path.isdir(b) else [])
    for name in sorted(names):
        pa, pb = os.path.join(a, name), os.path.join(b, name)
        if not os.path.exists(pa) or not os.path.exists(pb):
            diffs.append(f"{name}: only in {'the committed release' if os.path.exists(pb) else 'the generated one'}")
        elif name.endswith(".ipynb"):
            if _canonical(pa) != _canonical(pb):
                diffs.append(f"{name}: differs from a fresh generation")
        elif os.path.isfile(pa):
            with open(pa, "rb") as fa, open(pb, "rb") as fb:
                if fa.read() != fb.read():
                    diffs.append(f"{name}: differs")
    return diffs


def release(course_root, assignment=None, all_=False, check=False, validate=True, log=print):
    course = CourseDirs(course_root)
    ids = course.assignments() if all_ else [assignment]
    if not ids:
        raise ReleaseError(f"no assignments in {course.source}")
    failures = 0
    for aid in ids:
        source_path = course.source_notebook(aid)
        if not os.path.isfile(source_path):
            raise FileNotFoundError(f"no source notebook {source_path}")
        try:
            if validate:
                log(f"{aid}: executing the solutions ...")
                validate_solutions(source_path)
            tmp = tempfile.mkdtemp(prefix="coursekit-release-")
            try:
                _generate(course, aid, tmp)
                problems = check_release(source_path, os.path.join(tmp, aid, f"{aid}.ipynb"))
                if problems:
                    raise ReleaseError(f"{aid}: " + "; ".join(problems))
                target = course.release_dir(aid)
                if check:
                    diffs = _same_tree(os.path.join(tmp, aid), target)
                    if diffs:
                        raise ReleaseError(f"{aid}: homework is stale ({'; '.join(diffs)}); "
                                           f"run `coursekit release {aid}`")
                    log(f"{aid}: homework is in sync")
                else:
                    if os.path.isdir(target):
                        shutil.rmtree(target)
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    shutil.copytree(os.path.join(tmp, aid), target)
                    log(f"{aid}: released to {os.path.relpath(target, course.root)}")
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        except ReleaseError as exc:
            failures += 1
            log(f"error: {exc}")
    return 1 if failures else 0
