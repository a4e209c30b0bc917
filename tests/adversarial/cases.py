"""The adversarial submissions: each one an attack on the grader, with the score it deserves.

Every case is built from the fixture assignment ``tests/fixtures/course`` (``fx_mle``: a visible
test worth 1 point and hidden tests worth 1 + 2, all calling ``coursekit.checks``). A case is
``Case(name, attack, build, score, statuses)``: ``build(source_nb, ctx)`` returns the submitted
file's bytes (or a callable writing it), ``score`` is what the submission deserves out of 4 and
``statuses`` the set of statuses its rows may show.
"""

import copy
import json
import os
from dataclasses import dataclass, field

CORRECT = '''
def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    mean = X.mean(axis=0)
    centered = X - mean
    return mean, centered.T @ centered / X.shape[0]
'''

# Right shapes, wrong values: scores 0 on every test cell.
WRONG = '''
def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    return np.zeros(X.shape[1]), np.eye(X.shape[1]) * 7.0
'''


def student_nb(source_nb, answer, extra_before_tests=None, mutate=None):
    """The student's version of the fixture: source cells, with ``answer`` in the answer cell."""
    nb = copy.deepcopy(source_nb)
    cells = []
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid == "mle_gaussian":
            cell["source"] = answer.strip("\n") + "\n"
        elif cell["metadata"].get("nbgrader", {}).get("grade"):
            # What the student sees: the hidden block is stripped at release.
            src = cell["source"]
            if "### BEGIN HIDDEN TESTS" in src:
                cell["source"] = src.split("### BEGIN HIDDEN TESTS")[0]
        cells.append(cell)
        if gid == "mle_gaussian" and extra_before_tests:
            for i, code in enumerate(extra_before_tests):
                cells.append({"cell_type": "code", "id": f"extra-{i}", "metadata": {},
                              "execution_count": None, "outputs": [], "source": code})
    nb["cells"] = cells
    if mutate:
        mutate(nb)
    return json.dumps(nb, indent=1).encode()


@dataclass
class Case:
    name: str
    attack: str
    build: object
    score: object  # a number, or a set of acceptable numbers (fork bomb: the kernel may lack threads)
    statuses: set = field(default_factory=lambda: {"ok", "failed"})
    # A known hole in the assignment's test cells that the worker cannot close (see the report).
    known_hole: str = ""
    # Isolation the case needs to be run safely and meaningfully: "namespaces" (private mount and
    # network namespaces), "uid" (kernel under a fresh uid) or "" (always run).
    needs: str = ""


def answer(code, **kw):
    return lambda src, ctx: student_nb(src, code, **kw)


def _mut_cells(fn):
    def mutate(nb):
        for cell in nb["cells"]:
            fn(cell, cell["metadata"].get("nbgrader", {}))
    return mutate


def _delete_tests(cell, nbg):
    pass


def _drop_tests(nb):
    nb["cells"] = [c for c in nb["cells"] if not c["metadata"].get("nbgrader", {}).get("grade")]


def _edit_tests(cell, nbg):
    if nbg.get("grade"):
        cell["source"] = "pass\n"


def _retype_tests(cell, nbg):
    if nbg.get("grade"):
        cell["cell_type"] = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _skip_tags(cell, nbg):
    if nbg.get("grade"):
        cell["metadata"]["tags"] = ["skip-execution", "raises-exception"]
        nbg["points"] = 100


def _retype_answer(cell, nbg):
    if nbg.get("grade_id") == "mle_gaussian":
        cell["cell_type"] = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _dup_ids(nb):
    for cell in nb["cells"]:
        cell["id"] = "same-id"
    nb["cells"].insert(3, copy.deepcopy(nb["cells"][2]))  # the answer cell twice


def _fake_grade_cell(nb):
    nb["cells"].append({"cell_type": "code", "id": "bonus", "execution_count": None, "outputs": [],
                        "metadata": {"nbgrader": {"grade": True, "grade_id": "bonus", "points": 100,
                                                  "solution": False, "locked": True,
                                                  "schema_version": 3}},
                        "source": "pass\n"})


def _other_assignment(src, ctx):
    nb = json.loads(student_nb(src, CORRECT))
    for cell in nb["cells"]:
        nbg = cell["metadata"].get("nbgrader")
        if nbg:
            nbg["grade_id"] = "hw9_" + nbg["grade_id"]
    return json.dumps(nb).encode()


def _nbformat3(src, ctx):
    return json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                       "worksheets": [{"cells": [{"cell_type": "code", "input": CORRECT}]}]}).encode()


def _symlink(src, ctx):
    # Written by the test: a symlink to the instructor's source notebook.
    return ("symlink", ctx["source_path"])


EQ_LIAR = '''
class Liar:
    """Equal to everything, converts to whatever is asked."""
    shape = (2,)
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array__(self, dtype=None, copy=None):
        import numpy
        return numpy.ones(2)
    def __len__(self): return 2
    def __getitem__(self, i): return 1.0
    def __float__(self): return 1.0

def mle_gaussian(X):
    return Liar(), Liar()
'''

NDARRAY_LIAR = '''
class Lie(np.ndarray):
    def __array_ufunc__(self, ufunc, method, *inputs, **kw):
        return True
    def __eq__(self, other):
        return True

def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    d = X.shape[1]
    return np.zeros(d).view(Lie), (np.eye(d) * 7.0).view(Lie)
'''

PATCH_NUMPY = WRONG + '''
import numpy, numpy.testing, math
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), dtype=bool)
numpy.all = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.testing.assert_array_almost_equal = lambda *a, **k: None
math.isclose = lambda *a, **k: True
'''

PATCH_COURSEKIT = WRONG + '''
import coursekit, coursekit.gaussian
from coursekit.checks import hw1_gaussian as _agp, _guard as _gp
for _n in dir(_agp):
    if _n.startswith(("check_", "visible_")):
        setattr(_agp, _n, lambda *a, **k: None)
_gp.close = lambda *a, **k: True
_gp.fail = lambda *a, **k: None
coursekit.gaussian.fit_mle = lambda X: (np.zeros(X.shape[1]), np.eye(X.shape[1]) * 7.0)
'''

PATCH_FROM_INSIDE = '''
def mle_gaussian(X):
    import sys
    ag = sys.modules["coursekit.checks._guard"]
    ag.close = lambda *a, **k: True           # patched while the check is running
    np.allclose = lambda *a, **k: True
    X = np.asarray(X, dtype=float)
    return np.zeros(X.shape[1]), np.eye(X.shape[1]) * 7.0
'''

SWALLOW_EXC = WRONG + '''
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda *a, **k: None)
'''

FORGE_REPLY = WRONG + '''
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda *a, **k: None)
k = ip.kernel
_orig = k.do_execute
async def _forged(*a, **kw):
    r = _orig(*a, **kw)
    if hasattr(r, "__await__"):
        r = await r
    r["status"] = "ok"
    return r
k.do_execute = _forged
'''

CLEAR_OUTPUT = WRONG + '''
import sys
class Mute:
    def write(self, s): return len(s)
    def flush(self): pass
sys.stderr = Mute()
sys.stdout = Mute()
'''

READ_DISK = '''
import glob, json, os
def _steal():
    for pattern in {patterns!r}:
        for path in glob.glob(pattern, recursive=True):
            try:
                nb = json.load(open(path))
            except Exception:
                continue
            for cell in nb.get("cells", []):
                src = "".join(cell.get("source", ""))
                if "BEGIN SOLUTION" in src and "def mle_gaussian" in src:
                    return src
    return None
_src = _steal()
if _src:
    exec(_src)
else:
    exec({wrong!r})
'''

READ_GRADEBOOK = WRONG + '''
import sqlite3
for path in {paths!r}:
    try:
        con = sqlite3.connect(path)
        con.execute("UPDATE grade SET auto_score = 100")
        con.commit()
        raise SystemExit("gradebook written")
    except sqlite3.Error:
        pass
'''

SYS_EXIT = '''
def mle_gaussian(X):
    import sys
    sys.exit(0)
'''

OS_EXIT = CORRECT + '''
import os
os._exit(0)
'''

INFINITE_LOOP = '''
def mle_gaussian(X):
    while True:
        try:
            pass
        except BaseException:
            pass
'''

LOOP_IGNORING_INTERRUPT = CORRECT + '''
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
'''

FORK_BOMB = CORRECT + '''
import os, time
try:
    while True:
        if os.fork() == 0:
            time.sleep(3600)
            os._exit(0)
except OSError:
    pass
'''

MEMORY = '''
def mle_gaussian(X):
    hog = np.ones((100_000, 100_000))   # 80 GB
    return hog
'''

MEMORY_TOPLEVEL = CORRECT + '''
hog = []
try:
    while True:
        hog.append(bytearray(50_000_000))
except MemoryError:
    print("memory limit reached at", len(hog) * 50, "MB")
    hog = None
'''

PRINT_FLOOD = '''
for _ in range(2_000_000):
    print("x" * 1000)
''' + CORRECT

HUGE_PRINT = CORRECT + '''
print("y" * 100_000_000)
'''

KILL_GRADER = CORRECT + '''
import os, signal
for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
'''

NETWORK = CORRECT + '''
import socket
try:
    socket.create_connection(("127.0.0.1", 5432), timeout=2)
    exec(WRONG_SRC)  # the network was reachable: lose the points
except OSError:
    pass
'''.replace("WRONG_SRC", repr(WRONG))


# Delegation, however the reference is reached: each scores zero (coursekit.checks' profile hook).
DELEGATE_ALIAS = '''
from coursekit.gaussian import fit_mle as _estimate

def mle_gaussian(X):
    return _estimate(np.asarray(X, dtype=float))
'''

DELEGATE_PRIVATE = '''
import coursekit.mixture

def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    # a private function of the library: one component with every responsibility 1
    weights, means, covs = coursekit.mixture._m_step_exact(X, np.ones((len(X), 1)), "full", 0.0)
    return means[0], covs[0]
'''

DELEGATE_IMPORTLIB = '''
import importlib

def mle_gaussian(X):
    return importlib.import_module("coursekit.gaussian").fit_mle(np.asarray(X, dtype=float))
'''

DELEGATE_DUNDER_IMPORT = '''
def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    gm = __import__("sklearn.mixture", fromlist=["GaussianMixture"]).GaussianMixture(1, reg_covar=0).fit(X)
    return gm.means_[0], gm.covariances_[0]
'''

DELEGATE_SKLEARN_PRIVATE = '''
from sklearn.mixture._gaussian_mixture import _estimate_gaussian_parameters as _egp

def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    nk, means, covs = _egp(X, np.ones((len(X), 1)), 0.0, "full")
    return means[0], covs[0]
'''

DELEGATE_SCIPY_STATS = '''
import scipy.stats as st

def mle_gaussian(X):
    X = np.asarray(X, dtype=float)
    mean, cov = st.multivariate_normal.fit(X)
    return mean, np.atleast_2d(cov)
'''

DELEGATE_VIA_HELPER = '''
def _helper(X):
    import coursekit.gaussian as g
    return g.fit_mle(X)

def mle_gaussian(X):
    try:
        return _helper(np.asarray(X, dtype=float))
    except BaseException:
        X = np.asarray(X, dtype=float)
        return X.mean(axis=0), np.cov(X, rowvar=False, bias=True)
'''

DELEGATE_SUBPROCESS = '''
def mle_gaussian(X):
    import json, subprocess, sys
    X = np.asarray(X, dtype=float)
    code = "import json, sys, numpy as np; from coursekit.gaussian import fit_mle; " \\
           "m, c = fit_mle(np.array(json.load(sys.stdin))); print(json.dumps([m.tolist(), c.tolist()]))"
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(X.tolist()), capture_output=True,
                         text=True).stdout
    m, c = json.loads(out)
    return np.array(m), np.array(c)
'''

DELEGATE_THREAD = '''
import threading

def mle_gaussian(X):
    import coursekit.gaussian as g
    out = {}
    t = threading.Thread(target=lambda: out.update(r=g.fit_mle(np.asarray(X, dtype=float))))
    t.start()
    t.join()
    return out["r"]
'''

DELEGATE_UNHOOK = '''
import sys
import coursekit.gaussian as g

def mle_gaussian(X):
    list(map(sys.setprofile, [None]))   # switch the watcher off, then delegate
    return g.fit_mle(np.asarray(X, dtype=float))
'''


LEVELS = {"none": 0, "uid": 1, "namespaces": 2}


def runnable(case, mode):
    return LEVELS.get(case.needs or "none", 0) <= LEVELS[mode]


def cases(ctx):
    course = ctx["course"]
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    repo = os.path.dirname(here)
    steal = [os.path.join(course, "*", "*", "*.ipynb"), os.path.join(ctx["submissions"], "*", "*.ipynb"),
             os.path.join(repo, "solutions", "*", "*.ipynb"),  # the real course, if this is its repo
             os.path.join(here, "fixtures", "course", "solutions", "*", "*.ipynb")]
    gradebooks = [os.path.join(course, "gradebook.db")]
    timeouts = {"timeout"}
    return [
        Case("correct", "a correct submission (control)", answer(CORRECT), 4, {"ok"}),
        Case("wrong", "a wrong answer (control)", answer(WRONG), 0, {"failed"}),
        Case("eq_liar", "objects whose __eq__/__array__ always agree", answer(EQ_LIAR), 0, {"failed"}),
        Case("ndarray_liar", "ndarray subclass overriding __array_ufunc__/__eq__",
             answer(NDARRAY_LIAR), 0, {"failed"}),
        Case("patch_numpy", "monkeypatch numpy.allclose/isclose/all, numpy.testing, math.isclose",
             answer(PATCH_NUMPY), 0, {"failed"}),
        Case("patch_coursekit", "monkeypatch coursekit.checks checks and the reference",
             answer(PATCH_COURSEKIT), 0, {"failed"}),
        Case("patch_from_inside", "patch the checks' helpers from inside the graded function",
             answer(PATCH_FROM_INSIDE), 0, {"failed"}),
        Case("delegate_alias", "from-import of a coursekit function under another name",
             answer(DELEGATE_ALIAS), 0, {"failed"}),
        Case("delegate_private", "a private coursekit function through its module", answer(DELEGATE_PRIVATE), 0,
             {"failed"}),
        Case("delegate_importlib", "importlib.import_module inside the function", answer(DELEGATE_IMPORTLIB), 0,
             {"failed"}),
        # (importing scikit-learn can outlast the suite's 6 s cell limit on a loaded machine)
        Case("delegate_dunder_import", "__import__ of scikit-learn inside the function",
             answer(DELEGATE_DUNDER_IMPORT), 0, {"failed", "timeout"}),
        Case("delegate_sklearn_private", "a private scikit-learn function imported under an alias",
             answer(DELEGATE_SKLEARN_PRIVATE), 0, {"failed", "timeout"}),
        Case("delegate_scipy_stats", "scipy.stats.multivariate_normal.fit through a module alias",
             answer(DELEGATE_SCIPY_STATS), 0, {"failed"}),
        Case("delegate_via_helper", "a private helper that delegates, its failure swallowed",
             answer(DELEGATE_VIA_HELPER), 0, {"failed"}),
        Case("delegate_subprocess", "coursekit run in a child Python process", answer(DELEGATE_SUBPROCESS), 0,
             {"failed"}),
        Case("delegate_thread", "coursekit run in a thread", answer(DELEGATE_THREAD), 0, {"failed"}),
        Case("delegate_unhook", "sys.setprofile(None) through map, then coursekit", answer(DELEGATE_UNHOOK), 0,
             {"failed"}),
        Case("swallow_exceptions", "custom IPython exception handler hides failing asserts",
             answer(SWALLOW_EXC), 0, {"failed", "tampered"}),
        Case("forge_reply", "patch the kernel to report status ok", answer(FORGE_REPLY), 0,
             {"failed", "tampered"}),
        Case("mute_streams", "replace sys.stdout/sys.stderr", answer(CLEAR_OUTPUT), 0,
             {"failed", "tampered"}),
        Case("delete_tests", "delete the test cells (correct answer: restored, scores 4)",
             answer(CORRECT, mutate=_drop_tests), 4, {"ok"}),
        Case("delete_tests_wrong", "delete the test cells, wrong answer", answer(WRONG, mutate=_drop_tests),
             0, {"failed"}),
        Case("edit_tests", "replace the test cells by pass", answer(WRONG, mutate=_mut_cells(_edit_tests)),
             0, {"failed"}),
        Case("retype_tests", "re-type the test cells as markdown",
             answer(WRONG, mutate=_mut_cells(_retype_tests)), 0, {"failed"}),
        Case("skip_tags", "skip-execution/raises-exception tags and 100 points on test cells",
             answer(WRONG, mutate=_mut_cells(_skip_tags)), 0, {"failed"}),
        Case("retype_answer", "answer cell re-typed as markdown (executed as code: scores 4)",
             answer(CORRECT, mutate=_mut_cells(_retype_answer)), 4, {"ok"}),
        Case("fake_grade_cell", "an extra cell marked as a 100-point grade cell",
             answer(WRONG, mutate=_fake_grade_cell), 0, {"failed"}),
        Case("duplicate_ids", "duplicated cell ids and a duplicated answer cell",
             answer(CORRECT, mutate=_dup_ids), 4, {"ok"}),
        Case("read_hidden_tests", "read the source notebook / other submissions from disk",
             answer(READ_DISK.format(patterns=steal, wrong=WRONG)), 0, {"failed", "timeout"},
             needs="namespaces"),
        Case("write_gradebook", "open the SQLite gradebook and set every score to 100",
             answer(READ_GRADEBOOK.format(paths=gradebooks)), 0, {"failed"}, needs="uid"),
        Case("symlink_to_solution", "the submitted file is a symlink to the source notebook",
             _symlink, 0, {"invalid_notebook"}),
        Case("sys_exit", "sys.exit inside the graded function", answer(SYS_EXIT), 0, {"failed"}),
        Case("os_exit", "os._exit in an answer cell", answer(OS_EXIT), 0, {"kernel_died"}),
        Case("infinite_loop", "infinite loop that swallows KeyboardInterrupt", answer(INFINITE_LOOP),
             0, timeouts | {"failed"}),
        Case("ignore_sigint", "SIGINT ignored, then an endless loop at top level",
             answer(LOOP_IGNORING_INTERRUPT), 0, timeouts),
        Case("fork_bomb", "fork until the process limit (correct function defined first)",
             answer(FORK_BOMB), {3, 4}, {"ok", "failed"}, needs="uid"),
        Case("memory", "an 80 GB allocation in the graded function", answer(MEMORY), 0,
             {"memory", "failed"}),
        Case("memory_toplevel", "grow a list of 50 MB buffers forever (correct function first)",
             answer(MEMORY_TOPLEVEL), 4, {"ok"}),
        Case("print_flood", "2 GB of printed lines before defining the function",
             answer(PRINT_FLOOD), 0, {"output_limit", "failed", "timeout"}),
        Case("huge_print", "one 100 MB print (correct function first)", answer(HUGE_PRINT), 4, {"ok"}),
        Case("kill_grader", "SIGKILL the parent process and init", answer(KILL_GRADER), 4, {"ok"},
             needs="uid"),
        Case("network", "connect to the PostgreSQL port on loopback (needs namespaces)",
             answer(NETWORK), 4, {"ok"}, needs="namespaces"),
        Case("invalid_json", "truncated JSON", lambda s, c: student_nb(s, CORRECT)[:-40], 0,
             {"invalid_notebook"}),
        Case("other_assignment", "a notebook from another assignment", _other_assignment, 0,
             {"wrong_assignment"}),
        Case("empty_file", "an empty file", lambda s, c: b"", 0, {"invalid_notebook"}),
        Case("non_utf8", "Latin-1 bytes in a cell", lambda s, c: student_nb(s, CORRECT)
             .replace(b"def mle", b"def caf\xe9_mle", 1), 0, {"invalid_notebook"}),
        Case("nbformat3", "an nbformat 3 notebook", _nbformat3, 0, {"invalid_notebook"}),
        Case("not_a_notebook", "valid JSON that is not a notebook", lambda s, c: b"[1, 2, 3]", 0,
             {"invalid_notebook"}),
    ]
