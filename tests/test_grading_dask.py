"""``coursekit autograde --scheduler``: a real ``dask scheduler`` and ``dask worker`` processes on
loopback, started here; workers killed mid-submission, a worker that never comes back, a
scheduler restart, the instructor's process interrupted and started again. Every submission
must end with exactly one result (graded, or a clear ``grader_error``), none twice, none missing.
"""

import csv
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

import pytest

from adversarial.cases import CORRECT, WRONG, student_nb
from coursekit.grading import dask_executor, runner, sandbox
from terminal import start_in_foreground

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading")]

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "fixtures", "course")
AID = "fx_mle"
DASK = os.path.join(os.path.dirname(sys.executable), "dask")
MODE = sandbox.choose_mode(log=lambda *a: None)
needs_sandbox = pytest.mark.skipif(MODE == "none", reason="Dask workers grade only as root")

SLOW_CORRECT = "import time\ntime.sleep(3)\n" + CORRECT
INFINITE = "while True:\n    pass\n"
MEMORY_HOG = "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))\n"


def _free_port():
    """A free port below the kernel's ephemeral range: a port from that range (what binding port
    0 gives) can be taken, between this check and the scheduler binding it again after its
    restart, as the source port of any outgoing connection on the machine."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as fh:
            low = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(10000, max(low, 10001))
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise AssertionError("no free port below the ephemeral range")


class Cluster:
    """A scheduler and supervised workers (each restarted by a shell loop when it exits, as
    systemd or a batch system would), every one in its own process group."""

    def __init__(self, tmp, n_workers):
        self.tmp = str(tmp)
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.tag = uuid.uuid4().hex
        self.scheduler = None
        self.workers = {}
        self.start_scheduler()
        for k in range(n_workers):
            self.start_worker(f"w{k}")
        self.wait_for_workers(n_workers)

    def _spawn(self, cmd, log):
        env = dict(os.environ, COURSEKIT_TEST_CLUSTER=self.tag)
        with open(os.path.join(self.tmp, log), "ab") as fh:
            return subprocess.Popen(cmd, stdout=fh, stderr=fh, stdin=subprocess.DEVNULL,
                                    start_new_session=True, env=env, cwd=self.tmp)

    def start_scheduler(self):
        self.scheduler = self._spawn([DASK, "scheduler", "--host", "127.0.0.1", "--port",
                                      str(self.port), "--no-dashboard"], "scheduler.log")

    def start_worker(self, name):
        scratch = os.path.join(self.tmp, f"{name}-scratch")  # not the machine's shared one
        loop = (f'while true; do "{DASK}" worker {self.address} --nthreads 1 --no-dashboard '
                f'--name {name} --death-timeout 120 --local-directory "{scratch}"; '
                'sleep 0.5; done')
        self.workers[name] = self._spawn(["bash", "-c", loop], f"{name}.log")

    def client(self):
        from distributed import Client

        return Client(self.address, timeout=60, set_as_default=False)

    def wait_for_workers(self, n, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with self.client() as c:
                    if len(c.scheduler_info(n_workers=-1)["workers"]) >= n:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise AssertionError(f"{n} Dask workers did not register in {timeout} s")

    def kill_scheduler(self):
        os.killpg(self.scheduler.pid, signal.SIGKILL)
        self.scheduler.wait()

    def kill_worker_process(self, name):
        """SIGKILL the Dask worker process itself (its nanny starts a new one). Only this
        cluster's: other test runs on the machine have workers of the same names."""
        ours = set(_tagged(self.tag))
        nanny = [p for p in ours if b"--name\0" + name.encode() in _cmdline(p)
                 and b"worker" in _cmdline(p)]
        kids = [p for p in ours if _ppid(p) in nanny and b"multiprocessing" in _cmdline(p)]
        assert kids, f"no worker process under the nanny of {name}"
        for p in kids:
            os.kill(p, signal.SIGKILL)

    def kill_worker_for_good(self, name):
        os.killpg(self.workers[name].pid, signal.SIGKILL)
        self.workers[name].wait()

    def stop(self):
        for proc in list(self.workers.values()) + [self.scheduler]:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()


def _pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _tagged(tag):
    """Processes started (directly or not) by the test cluster ``tag`` that are still alive."""
    out = []
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                if f"COURSEKIT_TEST_CLUSTER={tag}".encode() in fh.read():
                    out.append(pid)
        except OSError:
            pass
    return out


@pytest.fixture
def course(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    with open(root / "solutions" / AID / f"{AID}.ipynb") as fh:
        src = json.load(fh)
    return root, src


def _submissions(base, src, answers):
    subs = base / "subs"
    for name, code in answers.items():
        (subs / name).mkdir(parents=True)
        if code is not None:
            (subs / name / f"{AID}.ipynb").write_bytes(
                code if isinstance(code, bytes) else student_nb(src, code))
    return subs


def _rows(out):
    with open(os.path.join(out, "grades.csv"), newline="") as fh:
        return list(csv.DictReader(fh))


def _check_exactly_once(rows, students, db):
    """Three rows (tasks) per student, each task once; the gradebook has each student once."""
    seen = [(r["student"], r["task"]) for r in rows]
    assert len(seen) == len(set(seen)) == 3 * len(students)
    assert {r["student"] for r in rows} == set(students)
    with sqlite3.connect(db) as con:
        subs = con.execute("select student.id from submitted_assignment "
                           "join student on student.id = submitted_assignment.student_id").fetchall()
    assert sorted(s for (s,) in subs) == sorted(students)


@pytest.fixture
def cluster(tmp_path):
    made = []

    def make(n):
        c = Cluster(tmp_path, n)
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()
        deadline = time.monotonic() + 15
        while _tagged(c.tag) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not _tagged(c.tag), "processes of the Dask workers outlived them"


@needs_sandbox
def test_cluster_grades_like_this_machine_with_the_same_limits(tmp_path, course, cluster):
    root, src = course
    answers = {"correct": CORRECT, "wrong": WRONG, "nothing": None, "broken": b"{not json",
               "endless": INFINITE + CORRECT, "hog": MEMORY_HOG + CORRECT}
    subs = _submissions(tmp_path, src, answers)
    kw = dict(timeout=25, cell_timeout=5, memory_mb=1024, progress=False, log=lambda *a: None)
    local = runner.autograde(str(root), AID, str(subs), out=str(tmp_path / "local"),
                             db_url=f"sqlite:///{tmp_path}/local.db", jobs=2, **kw)
    c = cluster(2)
    remote = runner.autograde(str(root), AID, str(subs), out=str(tmp_path / "remote"),
                              db_url=f"sqlite:///{tmp_path}/remote.db", scheduler=c.address, **kw)

    def view(rows):
        return sorted((r["student"], r["task"], r["score"], r["status"]) for r in rows)

    assert view(remote) == view(local)
    statuses = {r["student"]: r["status"] for r in remote}
    assert statuses["correct"] == "ok" and statuses["wrong"] == "failed"
    assert statuses["nothing"] == "missing_notebook" and statuses["broken"] == "invalid_notebook"
    assert statuses["endless"] == "timeout" and statuses["hog"] == "memory"
    _check_exactly_once(remote, list(answers), tmp_path / "remote.db")
    for name in answers:
        res = json.loads((tmp_path / "remote" / "results" / f"{name}.json").read_text())
        assert res["complete"]
        assert (tmp_path / "remote" / "feedback" / f"{name}.html").stat().st_size > 0
    assert "(namespaces)" in res["graded_on"] or "(uid)" in res["graded_on"]


def _grade_in_thread(**kw):
    box = {}

    def run():
        try:
            box["rows"] = runner.autograde(**kw)
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


def _wait_for_results(out, n, timeout=600, proc=None, grading=None):
    """Until ``n`` results are written; fails at once if the grader (process ``proc`` or
    ``(thread, box)`` of :func:`_grade_in_thread`) ended before."""
    deadline = time.monotonic() + timeout
    d = os.path.join(out, "results")
    while time.monotonic() < deadline:
        if os.path.isdir(d) and len([f for f in os.listdir(d) if f.endswith(".json")]) >= n:
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError("the grader ended early:\n" + proc.stdout.read().decode()[-3000:])
        if grading is not None and not grading[0].is_alive():
            raise AssertionError(f"the grader ended early: {grading[1]}")
        time.sleep(0.2)
    raise AssertionError(f"fewer than {n} results after {timeout} s")


@needs_sandbox
def test_workers_killed_mid_submission_and_one_that_never_returns(tmp_path, course, cluster):
    root, src = course
    students = [f"s{i:02d}" for i in range(10)]
    subs = _submissions(tmp_path, src, {s: SLOW_CORRECT for s in students})
    c = cluster(3)
    out = tmp_path / "out"
    t, box = _grade_in_thread(course_root=str(root), assignment=AID, submissions=str(subs),
                              out=str(out), db_url=f"sqlite:///{tmp_path}/gb.db", timeout=60,
                              scheduler=c.address, progress=False, log=lambda *a: None)
    _wait_for_results(out, 1, grading=(t, box))
    c.kill_worker_process("w0")      # mid-submission: its nanny starts a new worker process
    c.kill_worker_for_good("w1")     # nanny, worker and supervisor: never comes back
    t.join(600)
    assert not t.is_alive() and "error" not in box, box
    rows = box["rows"]
    _check_exactly_once(rows, students, tmp_path / "gb.db")
    assert {r["status"] for r in rows} == {"ok"}


def _grade_tasks(client):
    """The scheduler's view of the grading tasks: key -> (state, workers holding the result)."""
    def view(dask_scheduler):
        return {k: (ts.state, sorted(ws.address for ws in (ts.who_has or ())))
                for k, ts in dask_scheduler.tasks.items() if str(k).startswith("coursekit-grade-")}

    return client.run_on_scheduler(view)


@needs_sandbox
def test_result_lost_with_its_worker_before_it_was_fetched_is_graded_again(
        tmp_path, course, cluster, monkeypatch):
    """A submission graded on a worker that dies before the instructor's process has fetched the
    result: Dask marks the future ``lost`` and computes it again. That is not an outcome: the
    submission must end graded, once (it was recorded as a ``grader_error`` when another result
    arrived while it was lost)."""
    root, src = course
    students = [f"s{i}" for i in range(4)]
    subs = _submissions(tmp_path, src, {s: SLOW_CORRECT for s in students})
    c = cluster(2)
    lost = []
    real = dask_executor.grade_on_cluster

    def lose_a_result_then_record(record):
        def hooked(student, reply):
            if not lost:
                # The instructor's process is busy recording this one; another submission's
                # result is on a worker, not fetched yet: kill that worker's process.
                with c.client() as watcher:
                    deadline = time.monotonic() + 300
                    while time.monotonic() < deadline:
                        held = {k: who for k, (state, who) in _grade_tasks(watcher).items()
                                if state == "memory" and who}
                        if held:
                            break
                        time.sleep(0.2)
                    assert held, "no other result finished on a worker"
                    key, (addr, *_) = sorted(held.items())[0]
                    name = watcher.scheduler_info(n_workers=-1)["workers"][addr]["name"]
                    c.kill_worker_process(name)
                    # Lost: Dask computes it again (the instructor's client was told it is lost).
                    while time.monotonic() < deadline and \
                            _grade_tasks(watcher).get(key, ("",))[0] in ("memory", ""):
                        time.sleep(0.2)
                    assert _grade_tasks(watcher).get(key, ("",))[0] not in ("memory", "")
                    lost.append(key)
            record(student, reply)
        return hooked

    monkeypatch.setattr(dask_executor, "grade_on_cluster",
                        lambda scheduler, todo, bundle, record, **kw:
                        real(scheduler, todo, bundle, lose_a_result_then_record(record), **kw))
    out = tmp_path / "out"
    rows = runner.autograde(str(root), AID, str(subs), out=str(out),
                            db_url=f"sqlite:///{tmp_path}/gb.db", timeout=60,
                            scheduler=c.address, progress=False, log=lambda *a: None)
    assert lost
    _check_exactly_once(rows, students, tmp_path / "gb.db")
    assert {r["status"] for r in rows} == {"ok"}


def test_ctrl_c_while_a_result_is_written_takes_effect_once_it_is_written():
    """The instructor's process records a result (result file, executed notebook, gradebook
    row) as one step: Ctrl-C in the middle stops the run right after it, not inside it."""
    steps = []
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    try:
        with pytest.raises(KeyboardInterrupt):
            with dask_executor._DeferredInterrupt():
                os.kill(os.getpid(), signal.SIGINT)
                steps.append("written")
        assert steps == ["written"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        # Started with SIGINT ignored (nohup, a script's background job): still ignored.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with dask_executor._DeferredInterrupt():
            os.kill(os.getpid(), signal.SIGINT)
            steps.append("again")
        assert steps == ["written", "again"]
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


@needs_sandbox
def test_scheduler_restart_resubmits_what_was_in_flight(tmp_path, course, cluster):
    root, src = course
    students = [f"s{i:02d}" for i in range(8)]
    subs = _submissions(tmp_path, src, {s: SLOW_CORRECT for s in students})
    c = cluster(2)
    out = tmp_path / "out"
    t, box = _grade_in_thread(course_root=str(root), assignment=AID, submissions=str(subs),
                              out=str(out), db_url=f"sqlite:///{tmp_path}/gb.db", timeout=60,
                              scheduler=c.address, progress=False, log=lambda *a: None)
    _wait_for_results(out, 2, grading=(t, box))
    c.kill_scheduler()  # the workers exit when they lose it; their supervisors restart them
    time.sleep(2)
    c.start_scheduler()
    t.join(600)
    assert not t.is_alive() and "error" not in box, box
    rows = box["rows"]
    _check_exactly_once(rows, students, tmp_path / "gb.db")
    assert {r["status"] for r in rows} == {"ok"}


@needs_sandbox
def test_interrupted_instructor_process_then_rerun_grades_only_the_rest(tmp_path, course,
                                                                         cluster):
    root, src = course
    students = [f"s{i:02d}" for i in range(8)]
    subs = _submissions(tmp_path, src, {s: SLOW_CORRECT for s in students})
    c = cluster(2)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "coursekit", "--course", str(root), "autograde", AID,
           "--submissions", str(subs), "--out", str(out), "--db", f"sqlite:///{tmp_path}/gb.db",
           "--timeout", "60", "--scheduler", c.address]
    proc = start_in_foreground(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _wait_for_results(out, 2, proc=proc)
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    proc.communicate(timeout=120)
    assert proc.returncode != 0
    first = sorted(f[:-5] for f in os.listdir(out / "results") if f.endswith(".json"))
    assert 2 <= len(first) < len(students)
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{len(students) - len(first)} to grade ({len(first)} unchanged)" in again.stdout
    rows = _rows(out)
    _check_exactly_once(rows, students, tmp_path / "gb.db")
    assert {r["status"] for r in rows} == {"ok"}


def test_unreachable_scheduler_is_a_clear_error(tmp_path, course):
    root, src = course
    subs = _submissions(tmp_path, src, {"a": CORRECT})
    from coursekit import cli

    rc = cli.main(["--course", str(root), "autograde", AID, "--submissions", str(subs),
                   "--out", str(tmp_path / "out"), "--scheduler",
                   f"tcp://127.0.0.1:{_free_port()}", "--quiet"])
    assert rc == 2
    assert not (tmp_path / "out" / "results" / "a.json").exists()
