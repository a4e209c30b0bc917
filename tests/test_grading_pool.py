"""The kernel fork server and the worker pool keep every isolation guarantee of one fresh
process per submission.

Submissions are graded one after another by ONE worker (``jobs=1``, so the same worker and the
same fork server), in name order: a submission that tries to leave something behind is graded
just before one that looks for it. With ``jobs=2`` the two workers share the run's one fork
server, and the same holds.
"""

import csv
import json
import os
import random
import re
import shutil
import signal
import socket
import time

import pytest

from adversarial.cases import CORRECT, WRONG, student_nb
from coursekit.grading import forkserver, pool, runner, sandbox, worker
from terminal import start_in_foreground

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading")]

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "fixtures", "course")
AID = "fx_mle"
SECRET = "COURSEKIT_TEST_GRADER_SECRET"
MODE = sandbox.choose_mode(log=lambda *a: None)

# The background process the polluter leaves is recognised by this number, drawn per test run:
# another run of this test on the machine (its polluter's process lives until its uid is
# killed) must not look like a trace of ours.
TRACE = str(random.SystemRandom().randrange(10**8, 10**9))

# Leaves every trace it can: module state, environment, files, a background process.
POLLUTE = '''
import os, sys, subprocess, builtins, numpy, coursekit
numpy._ck_polluted = True
numpy.allclose = lambda *a, **k: True  # a monkeypatched numpy (the guard undoes it before each test)
coursekit._ck_polluted = True
builtins._ck_polluted = True
sys.modules["ck_polluted_module"] = numpy
os.environ["CK_POLLUTED"] = "1"
for d in (os.environ.get("TMPDIR", "/tmp"), os.path.expanduser("~"), os.getcwd(), "/tmp", "/dev/shm"):
    try:
        with open(os.path.join(d, "ck_polluted.txt"), "w") as fh:
            fh.write("x")
    except OSError:
        pass
subprocess.Popen(["sleep", "''' + TRACE + '''"], start_new_session=True)
print("UID=%d RNG=%d" % (os.getuid(), numpy.random.randint(1 << 30)))
''' + CORRECT

# Fails (scores 0) if it finds any trace of the previous submission or of the grader.
CHECK = '''
import os, sys, builtins, numpy, coursekit, signal
found = []
if hasattr(numpy, "_ck_polluted") or hasattr(coursekit, "_ck_polluted"):
    found.append("module attribute")
if hasattr(builtins, "_ck_polluted") or "ck_polluted_module" in sys.modules:
    found.append("builtins/sys.modules")
if "CK_POLLUTED" in os.environ:
    found.append("environment")
if numpy.allclose(0.0, 1.0) or numpy.allclose.__module__ != "numpy":
    found.append("monkeypatched numpy")
for d in (os.environ.get("TMPDIR", "/tmp"), os.path.expanduser("~"), os.getcwd(), "/tmp", "/dev/shm"):
    if os.path.exists(os.path.join(d, "ck_polluted.txt")):
        found.append("file in " + d)
PROCESSES
with open("/proc/self/environ", "rb") as fh:
    if b"''' + SECRET + '''" in fh.read():
        found.append("the grader's environment in /proc/self/environ")
if "''' + SECRET + '''" in os.environ:
    found.append("the grader's environment")
try:
    os.kill(os.getppid(), 0)
    found.append("can signal its parent")
except PermissionError:
    pass
assert not found, found
print("UID=%d RNG=%d" % (os.getuid(), numpy.random.randint(1 << 30)))
''' + CORRECT
# The polluter's background process must be gone once its grading ended; and while two
# submissions are graded at once, the one beside must not even be listed in /proc (the kernel's
# /proc hides other uids' processes): a kernel sees only processes of its own uid.
PROCESSES = '''for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        if os.stat("/proc/%s" % pid).st_uid != os.getuid():
            found.append("process %s of another uid" % pid)
        with open("/proc/%s/cmdline" % pid, "rb") as fh:
            if b"''' + TRACE + '''" in fh.read():
                found.append("process %s" % pid)
    except OSError:
        pass
'''
CHECK = CHECK.replace("PROCESSES\n", PROCESSES)


def _course(tmp_path):
    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    with open(root / "solutions" / AID / f"{AID}.ipynb") as fh:
        src = json.load(fh)
    return root, src


def _rows(out):
    with open(os.path.join(out, "grades.csv"), newline="") as fh:
        return list(csv.DictReader(fh))


def _totals(rows):
    t = {}
    for r in rows:
        t[r["student"]] = t.get(r["student"], 0.0) + float(r["score"])
    return t


@pytest.mark.skipif(MODE != "namespaces", reason="needs root and mount/network namespaces")
@pytest.mark.parametrize("jobs", [1, 2])
def test_nothing_of_one_submission_reaches_the_next(tmp_path, monkeypatch, jobs):
    monkeypatch.setenv(SECRET, "postgresql://grader:secret@db/course")
    root, src = _course(tmp_path)
    subs = tmp_path / "subs"
    names = ["a1_polluter", "a2_checker", "b1_polluter", "b2_checker"]
    if jobs == 2:  # two workers at a time: each checker also runs after both polluters
        names += ["c1_checker", "c2_checker"]
    for name in names:
        (subs / name).mkdir(parents=True)
        code = POLLUTE if "polluter" in name else CHECK
        (subs / name / f"{AID}.ipynb").write_bytes(student_nb(src, code))
    out = tmp_path / "out"
    rows = runner.autograde(str(root), AID, str(subs), out=str(out), jobs=jobs, timeout=60,
                            progress=False, log=lambda *a: None)
    assert _totals(rows) == {n: 4.0 for n in names}, [r for r in rows if r["status"] != "ok"]
    uids, rngs, servers = [], [], set()
    for name in names:
        res = json.loads((out / "results" / f"{name}.json").read_text())
        assert res["kernel_start"] == "fork"
        servers.add(res["kernel_server"])
        page = (out / "feedback" / f"{name}.html").read_text()
        m = re.search(r"UID=(\d+) RNG=(\d+)", page)
        assert m, page
        uids.append(int(m.group(1)))
        rngs.append(int(m.group(2)))
    assert 0 not in uids and len(set(uids)) == len(names)  # a fresh uid per submission
    # Each worker's kernels after its first submission were forked while the previous one ran.
    ahead = [n for n in names
             if json.loads((out / "results" / f"{n}.json").read_text()).get("kernel_prestarted")]
    assert len(ahead) >= len(names) - jobs, ahead
    assert len(set(rngs)) == len(names)  # NumPy's global generator is not the fork server's
    assert len(servers) == 1  # every kernel forked from the run's one fork server


def _job(tmp_path, src, code, name, **limits):
    staging = tmp_path / f"job-{name}"
    staging.mkdir()
    os.chmod(staging, 0o711)
    nb_path = tmp_path / f"{name}.ipynb"
    nb_path.write_bytes(student_nb(src, code))
    source = os.path.join(FIXTURE, "solutions", AID, f"{AID}.ipynb")
    job = dict(timeout=60, cell_timeout=30, memory_mb=1536, nproc=96, fsize_mb=64,
               output_kb=256, student=name, assignment=AID, submission=str(nb_path),
               sha256="", grader_key="", source=source, release_dir="",
               notebook_name=f"{AID}.ipynb", staging=str(staging),
               result_path=str(staging / "result.json"),
               feedback_path=str(staging / "feedback.html"),
               uid=sandbox.new_uid() if MODE != "none" else 0,
               namespaces=MODE == "namespaces", hide=[])
    job.update(limits)
    path = staging / "job.json"
    path.write_text(json.dumps(job))
    return job, str(path)


def _result(job):
    with open(job["result_path"]) as fh:
        return json.load(fh)


def _uid_alive(uid):
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    return True
            except OSError:
                pass
    return False


def test_fork_and_exec_kernels_grade_alike(tmp_path):
    _, src = _course(tmp_path)
    scores = {}
    with pool.WorkerPool(1, log_dir=str(tmp_path)) as workers:
        for start in ("fork", "exec"):
            for label, code in (("correct", CORRECT), ("wrong", WRONG)):
                job, path = _job(tmp_path, src, code, f"{start}-{label}", kernel_start=start)
                assert workers.run(path, 120) == (0, False)
                res = _result(job)
                assert res["kernel_start"] == start
                scores[start, label] = [(t["task"], t["score"], t["status"]) for t in res["tasks"]]
    assert scores["fork", "correct"] == scores["exec", "correct"]
    assert scores["fork", "wrong"] == scores["exec", "wrong"]
    assert sum(s for _, s, _ in scores["fork", "correct"]) == 4
    assert {st for _, _, st in scores["fork", "wrong"]} == {"failed"}


HANG = '''
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    time.sleep(0.1)
'''


@pytest.mark.skipif(MODE == "none", reason="needs root (a uid per submission)")
def test_hard_limit_kills_the_worker_its_fork_server_and_kernel(tmp_path):
    _, src = _course(tmp_path)
    with pool.WorkerPool(1, log_dir=str(tmp_path)) as workers:
        job, path = _job(tmp_path, src, CORRECT, "warm")
        assert workers.run(path, 120) == (0, False)
        w = workers._workers[0]
        worker_pid = w.proc.pid
        server_pids = [int(p) for p in os.listdir("/proc") if p.isdigit()
                       and _cmdline(p).startswith(b"%s\0-m\0coursekit.grading.forkserver" % (
                           os.fsencode(__import__("sys").executable)))
                       and _ppid(p) == worker_pid]
        assert len(server_pids) == 1
        # The kernel ignores SIGINT and never ends: the worker's own limits are far away
        # (timeout 60 s); the pool's hard limit (5 s here) kills everything.
        job, path = _job(tmp_path, src, HANG, "hang", cell_timeout=60)
        t0 = time.monotonic()
        assert workers.run(path, 5) == (None, True)
        assert time.monotonic() - t0 < 30
        sandbox.kill_uid(job["uid"])  # as the runner does after a killed worker
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (_alive(server_pids[0]) or _uid_alive(job["uid"])):
            time.sleep(0.1)
        assert not _alive(worker_pid) and not _alive(server_pids[0])
        assert not _uid_alive(job["uid"])
        partial = _result(job)  # what the killed worker had written
        assert partial["complete"] is False
        # The next submission gets a new worker (and fork server).
        job, path = _job(tmp_path, src, CORRECT, "after")
        assert workers.run(path, 120) == (0, False)
        assert sum(t["score"] for t in _result(job)["tasks"]) == 4
        assert workers._workers[0].proc.pid != worker_pid


@pytest.mark.skipif(MODE == "none", reason="needs root (a uid per submission)")
def test_shared_fork_server_kills_the_kernels_of_a_worker_killed_at_the_hard_limit(tmp_path):
    _, src = _course(tmp_path)
    with pool.WorkerPool(1, log_dir=str(tmp_path), shared_kernels=True) as workers:
        server = workers.kernels
        assert server is not None and server.can_fork
        job, path = _job(tmp_path, src, CORRECT, "warm")
        assert workers.run(path, 120) == (0, False)
        assert _result(job)["kernel_server"] == server.pid
        worker_pid = workers._workers[0].proc.pid
        # The kernel ignores SIGINT and never ends; the pool's hard limit kills the worker. The
        # shared fork server, not the worker's parent, forked the kernel: it must kill it when
        # the worker's socket closes (here nobody else calls kill_uid).
        job, path = _job(tmp_path, src, HANG, "hang", cell_timeout=60)
        assert workers.run(path, 5) == (None, True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _uid_alive(job["uid"]):
            time.sleep(0.1)
        assert not _uid_alive(job["uid"])
        assert not _alive(worker_pid) and server.alive()
        # The next submission: a new worker, the same fork server.
        job, path = _job(tmp_path, src, CORRECT, "after")
        assert workers.run(path, 120) == (0, False)
        res = _result(job)
        assert sum(t["score"] for t in res["tasks"]) == 4 and res["kernel_server"] == server.pid
        assert workers._workers[0].proc.pid != worker_pid
    assert server.proc.returncode is not None  # ended with the pool


@pytest.mark.skipif(MODE == "none", reason="needs root (a uid per submission)")
def test_kernel_forked_ahead_is_the_next_submissions_own_and_dies_with_its_worker(
        tmp_path, monkeypatch):
    """While a worker grades one submission, the pool reserves a uid for its next one and the
    worker forks that submission's kernel under it: used once, by the next job (which takes
    that uid), discarded when that job's sandbox differs, killed with the worker."""
    _, src = _course(tmp_path)
    given = []
    real_new_uid = sandbox.new_uid

    def recorded_uid():
        given.append(real_new_uid())
        return given[-1]

    monkeypatch.setattr(sandbox, "new_uid", recorded_uid)
    with pool.WorkerPool(1, log_dir=str(tmp_path), shared_kernels=True) as workers:
        w = workers._workers[0]
        first, path = _job(tmp_path, src, CORRECT, "first")
        assert workers.run(path, 120, first) == (0, False)
        assert _result(first).get("kernel_prestarted") is None
        reserved = w.next_uid
        assert reserved not in (None, first["uid"])
        deadline = time.monotonic() + 20  # forked while "first" ran, it enters its sandbox
        while time.monotonic() < deadline and not _uid_alive(reserved):
            time.sleep(0.05)
        assert _uid_alive(reserved)  # waiting for the next submission; nobody's code ran in it
        second, path = _job(tmp_path, src, CORRECT, "second")
        assert second["uid"] != reserved
        assert workers.run(path, 120, second) == (0, False)
        res = _result(second)
        assert second["uid"] == reserved and json.loads(open(path).read())["uid"] == reserved
        assert res["kernel_prestarted"] is True and res["kernel_start"] == "fork"
        assert sum(t["score"] for t in res["tasks"]) == 4
        # Another sandbox (other limits): the kernel forked ahead is not used.
        third, path = _job(tmp_path, src, CORRECT, "third", memory_mb=1400)
        assert workers.run(path, 120, third) == (0, False)
        res = _result(third)
        assert res.get("kernel_prestarted") is None and sum(t["score"] for t in res["tasks"]) == 4
        # Killed at the hard limit: its kernel and the one forked ahead die with the worker.
        worker_pid = w.proc.pid
        hang, path = _job(tmp_path, src, HANG, "hang", cell_timeout=60)
        assert workers.run(path, 5, hang) == (None, True)
        assert w.next_uid is None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_uid_alive(u) for u in given):
            time.sleep(0.1)
        assert not [u for u in given if _uid_alive(u)]
        # The next submission: a new worker, nothing forked ahead for it.
        last, path = _job(tmp_path, src, CORRECT, "last")
        assert workers.run(path, 120, last) == (0, False)
        res = _result(last)
        assert res.get("kernel_prestarted") is None and sum(t["score"] for t in res["tasks"]) == 4
        assert w.proc.pid != worker_pid


def test_fork_server_refuses_to_attach_for_a_worker(tmp_path):
    server = forkserver.ForkServer(worker.kernel_env(str(tmp_path)))
    try:
        client = forkserver.ForkServerClient(server.attach())
        assert client.pid == server.pid and client.can_fork
        # Only the owner attaches workers.
        a, b = socket.socketpair(socket.AF_UNIX,
                                               socket.SOCK_SEQPACKET)
        socket.send_fds(client.sock, [b'{"op": "attach"}'], [b.fileno()])
        assert "error" in json.loads(client.sock.recv(1 << 16))
        a.close()
        b.close()
        client.close()
        assert server.alive()  # a worker leaving does not end it
    finally:
        server.close()
    assert server.proc.wait(timeout=30) is not None


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
        return -1


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sandbox.is_root(), reason="the probes run as root only")
def test_sandbox_probe_that_does_not_finish_is_an_error_not_a_weaker_sandbox(monkeypatch):
    # A probe cut short by a loaded machine says nothing about the sandbox: no quiet fallback to
    # the uid-only mode or to no sandbox at all.
    monkeypatch.setattr(sandbox, "PROBE_TIMEOUT", 0.001)
    with pytest.raises(RuntimeError, match="did not finish"):
        sandbox.choose_mode(log=lambda *a: None)


def test_fork_server_refuses_to_fork_with_threads(tmp_path):
    # A preloaded module that starts a thread: fork would copy a lock another thread holds.
    mod = tmp_path / "ck_starts_a_thread.py"
    mod.write_text("import threading, time\n"
                   "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n")
    env = worker.kernel_env(str(tmp_path))
    env["PYTHONPATH"] = str(tmp_path) + os.pathsep + env.get("PYTHONPATH", "")
    server = forkserver.ForkServer(env, preload=["ck_starts_a_thread"])
    try:
        assert server.threads > 1 and not server.can_fork
        with pytest.raises(forkserver.ForkServerError):
            server.spawn(["-f", str(tmp_path / "k.json")], str(tmp_path / "log"), env,
                         {"cwd": str(tmp_path)})
    finally:
        server.close()
    assert server.proc.returncode is not None


def test_fork_server_reports_preloads_it_could_not_import(tmp_path):
    server = forkserver.ForkServer(worker.kernel_env(str(tmp_path)), preload=["no_such_module_ck"])
    try:
        assert server.can_fork
        assert any("no_such_module_ck" in f for f in server.failed_imports)
    finally:
        server.close()


def test_fork_server_exits_when_its_worker_goes(tmp_path):
    server = forkserver.ForkServer(worker.kernel_env(str(tmp_path)))
    server.sock.close()  # what the worker's death does to the socket
    server.proc.wait(timeout=30)
    assert server.proc.returncode == 0


def test_ctrl_c_stops_now_and_a_rerun_grades_only_the_rest(tmp_path):
    import subprocess
    import sys

    root, src = _course(tmp_path)
    subs = tmp_path / "subs"
    students = [f"s{i}" for i in range(8)]
    for name in students:
        (subs / name).mkdir(parents=True)
        (subs / name / f"{AID}.ipynb").write_bytes(
            student_nb(src, "import time\ntime.sleep(2)\n" + CORRECT))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "coursekit", "--course", str(root), "autograde", AID,
           "--submissions", str(subs), "--out", str(out), "--jobs", "2", "--timeout", "60",
           "--db", f"sqlite:///{tmp_path}/gb.db"]
    proc = start_in_foreground(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    done = lambda: [f for f in os.listdir(out / "results") if f.endswith(".json")] \
        if (out / "results").is_dir() else []  # noqa: E731
    while len(done()) < 1 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    proc.communicate(timeout=120)
    assert proc.returncode != 0 and time.monotonic() - t0 < 60  # stops, does not grade on
    first = done()
    assert 1 <= len(first) < len(students)
    for f in first:
        res = json.loads((out / "results" / f).read_text())
        assert not res["complete"] or {t["status"] for t in res["tasks"]} == {"ok"}
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    rows = _rows(out)
    assert sorted((r["student"], r["task"]) for r in rows) == sorted(
        (s, t) for s in students for t in ("test_visible", "test_mean", "test_cov"))
    assert {r["status"] for r in rows} == {"ok"}
