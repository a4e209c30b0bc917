"""Grading on a Dask cluster: ``coursekit autograde ID --submissions DIR --scheduler tcp://HOST:PORT``.

The instructor's process stays the only writer of the gradebook and of the outputs; the Dask
workers only grade. Each submission is one Dask task, :func:`grade_remote`, whose arguments
carry everything it needs (the assignment's *bundle*: the instructor's notebook and the
release's data files; and the submission's bytes and limits), so any worker can run it, on any
machine, and run it again after a failure. On the worker it goes through exactly the local
engine: a :class:`coursekit.grading.pool.WorkerPool` (one grading worker per Dask thread, each
with its fork server of sandboxed kernels), the same job, the same sandbox, the same limits;
the task returns the result and the executed notebook, which the instructor's process writes
(and records in the gradebook, and renders the feedback page from) as soon as it arrives.

Nothing is lost, nothing is recorded twice:

* at most ``window`` submissions are on the cluster at once (a few per worker thread), so the
  instructor's memory does not grow with the number of submissions;
* a worker that dies while grading: Dask gives the task to another worker (``allowed-failures``
  times, Dask's default 3); a task that has killed that many workers is recorded as
  ``grader_error`` (never cached: the next run grades it again);
* a worker that dies after grading, before its result was fetched: the result is ``lost`` and
  Dask computes it again; it is waited for, never taken for a failure;
* the scheduler restarts (or the connection drops): every task in flight is cancelled by the
  client; they are submitted again once the client is connected again (``reconnect_timeout``);
* no worker at all for ``no_worker_timeout`` seconds (or no scheduler): the run stops and every
  submission not graded yet gets a ``grader_error`` row saying so (not cached either);
* a result is written once per student: a late duplicate (a task that ran twice) is ignored;
* Ctrl-C: the tasks in flight are cancelled; what was written stays, and a new run grades only
  what is missing (results are files, written atomically, one per student; a Ctrl-C while a
  student's result is being written takes effect once it is written).
"""

import asyncio
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import CancelledError

from . import notebook as nbk
from . import sandbox

# Packages whose versions must agree between the instructor's machine and every worker: the
# kernel's behaviour (and so the grades) depends on them.
PINNED = ("numpy", "scipy", "ipykernel", "ipython", "jupyter_client", "nbclient", "nbformat",
          "pyzmq", "numba", "dask", "distributed")


# --------------------------------------------------------------------------- worker side

class WorkerUnfit(RuntimeError):
    """This worker cannot grade this run: it cannot sandbox kernels (not root), or its Python,
    packages or coursekit differ from the instructor's."""


def package_fingerprint():
    """SHA-256 of the files of the ``coursekit`` package this process imports."""
    import coursekit

    root = os.path.dirname(os.path.abspath(coursekit.__file__))
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith((".pyc", ".nbi", ".nbc")) or name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            h.update(os.path.relpath(path, root).encode() + b"\0")
            with open(path, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


def environment():
    """What must match between the instructor's machine and a worker."""
    versions = {}
    for name in PINNED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return {"python": platform.python_version(), "packages": versions,
            "coursekit": package_fingerprint()}


class _Engine:
    """Per Dask-worker process: the sandbox mode, a worker pool, the materialised bundles."""

    def __init__(self, size):
        self.mode = sandbox.choose_mode(log=lambda *a: None)
        self.root = tempfile.mkdtemp(prefix="coursekit-dask-")
        os.chmod(self.root, 0o711)  # kernels traverse it to reach their own 0700 directory
        from .pool import WorkerPool

        self.pool = WorkerPool(size, cwd=self.root, log_dir=self.root)
        self.bundles = {}
        self.lock = threading.Lock()
        from .runner import _mpl_cache

        self.mpl_cache = _mpl_cache()
        self.environment = environment()

    def bundle(self, bundle):
        """The bundle's files on this machine (written once per bundle, root-only)."""
        with self.lock:
            d = self.bundles.get(bundle["hash"])
            if d is not None:
                return d
            d = tempfile.mkdtemp(prefix="bundle-", dir=self.root)  # 0700
            aid = bundle["assignment"]
            src = os.path.join(d, "source", f"{aid}.ipynb")
            os.makedirs(os.path.dirname(src), mode=0o700)
            with open(src, "w", encoding="utf-8") as fh:
                fh.write(bundle["source"])
            release = os.path.join(d, "release")
            os.makedirs(release, mode=0o700)
            for name, data in bundle["release_files"].items():
                with open(os.path.join(release, os.path.basename(name)), "wb") as fh:
                    fh.write(data)
            self.bundles[bundle["hash"]] = d
            return d


_ENGINE = None
_ENGINE_LOCK = threading.Lock()


def _engine():
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            try:
                from distributed import get_worker

                size = get_worker().state.nthreads
            except (ImportError, ValueError, AttributeError):
                size = 1
            _ENGINE = _Engine(size)
        return _ENGINE


def worker_info():
    """Run on every worker before grading (``Client.run``): sandbox mode and environment."""
    eng = _engine()
    return dict(eng.environment, mode=eng.mode, root=sandbox.is_root(),
                host=platform.node(), slots=len(eng.pool._workers))


def grade_remote(bundle, spec):
    """The Dask task: grade one submission on this worker, return its result and executed notebook
    (the instructor's process renders the feedback page from it; ``feedback`` is always None).

    ``bundle``: ``{"hash", "assignment", "source" (the instructor's notebook, text),
    "release_files" ({name: bytes}), "tasks", "limits", "grader_key"}``. ``spec``:
    ``{"student", "sha256", "kind" ("file", "missing" or "not_regular"), "data" (bytes)}``.
    """
    from .jobs import HARD_MARGIN
    from .jobs import load_result as _load_result

    eng = _engine()
    problems = unfit(eng.mode, eng.environment, bundle["environment"])
    if problems:
        raise WorkerUnfit(f"worker on {platform.node()}: " + "; ".join(problems))
    bdir = eng.bundle(bundle)
    aid = bundle["assignment"]
    staging = tempfile.mkdtemp(prefix="job-", dir=eng.root)
    os.chmod(staging, 0o711)
    try:
        submission = None
        if spec["kind"] == "file":
            submission = os.path.join(staging, "submitted.ipynb")
            with open(os.open(submission, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as fh:
                fh.write(spec["data"])
        elif spec["kind"] == "not_regular":
            submission = os.path.join(staging, "submitted.ipynb")
            os.symlink(os.devnull, submission)  # refused by read_submission, like the original
        limits = bundle["limits"]
        uid = sandbox.new_uid() if eng.mode in ("namespaces", "uid") else 0
        job = dict(limits, student=spec["student"], assignment=aid, submission=submission,
                   sha256=spec["sha256"], grader_key=bundle["grader_key"],
                   source=os.path.join(bdir, "source", f"{aid}.ipynb"),
                   release_dir=os.path.join(bdir, "release"), notebook_name=f"{aid}.ipynb",
                   staging=staging, result_path=os.path.join(staging, "result.json"),
                   uid=uid,
                   executed_path=os.path.join(staging, "executed.ipynb"),
                   namespaces=eng.mode == "namespaces", hide=[bdir], mpl_cache=eng.mpl_cache)
        job_path = os.path.join(staging, "job.json")
        with open(os.open(job_path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as fh:
            json.dump(job, fh)
        rc, killed = eng.pool.run(job_path, float(limits["timeout"]) + HARD_MARGIN)
        if rc != 0 or killed:
            sandbox.kill_uid(uid)
        res = _load_result(job, rc, killed, bundle["tasks"])
        feedback = None  # not rendered here: the instructor's process renders its own
        try:  # the executed notebook: the instructor's process renders the feedback from it
            with open(job["executed_path"], encoding="utf-8") as fh:
                executed = fh.read()
        except OSError:
            executed = None
        res["graded_on"] = f"{platform.node()} ({eng.mode})"
        return {"result": res, "feedback": feedback, "executed": executed}
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --------------------------------------------------------------------------- instructor side

class ClusterError(RuntimeError):
    """The cluster cannot grade this run (unreachable, unsandboxed or mismatched workers)."""


def make_bundle(assignment, source_path, release_dir, task_list, limits, grader_key):
    with open(source_path, encoding="utf-8") as fh:
        source = fh.read()
    files = {}
    if release_dir and os.path.isdir(release_dir):
        for name in sorted(os.listdir(release_dir)):
            p = os.path.join(release_dir, name)
            if os.path.isfile(p) and not os.path.islink(p) and not name.endswith(".ipynb"):
                with open(p, "rb") as fh:
                    files[name] = fh.read()
    h = hashlib.sha256(json.dumps([assignment, source, sorted(files), limits, grader_key],
                                  sort_keys=True).encode())
    for name in sorted(files):
        h.update(files[name])
    return {"hash": h.hexdigest(), "assignment": assignment, "source": source,
            "release_files": files, "tasks": task_list, "limits": limits,
            "grader_key": grader_key, "environment": environment()}


def submission_spec(student, path, sha):
    if not path:
        return {"student": student, "sha256": sha, "kind": "missing"}
    if os.path.islink(path) or not os.path.isfile(path):
        return {"student": student, "sha256": sha, "kind": "not_regular"}
    with open(path, "rb") as fh:
        data = fh.read(nbk.MAX_SUBMISSION_BYTES + 1)
    return {"student": student, "sha256": sha, "kind": "file", "data": data}


def not_graded(student, assignment, task_list, sha, reason):
    """A ``grader_error`` result for a submission the cluster did not grade (not cached)."""
    return {"student": student, "assignment": assignment, "submission_sha256": sha,
            "grader_key": "", "complete": False, "notes": [reason],
            "tasks": [dict(t, score=0.0, status="grader_error", message=reason)
                      for t in task_list]}


def unfit(mode, theirs, here):
    """Why a worker (sandbox ``mode``, environment ``theirs``) cannot grade for ``here``."""
    problems = []
    if mode == "none":
        problems.append("cannot sandbox kernels (not root?): start `dask worker` as root with "
                        "the course's Python environment")
    if theirs["python"] != here["python"]:
        problems.append(f"Python {theirs['python']} (instructor: {here['python']})")
    diff = {k: (v, here["packages"].get(k)) for k, v in theirs["packages"].items()
            if v != here["packages"].get(k)}
    if diff:
        problems.append(f"package versions differ (worker, instructor): {diff}")
    if theirs["coursekit"] != here["coursekit"]:
        problems.append("its coursekit package differs from the instructor's (install the same "
                        "version of the course repository on every worker)")
    return problems


def check_workers(infos, log):
    """Refuse workers that cannot sandbox or do not run the instructor's environment."""
    here = environment()
    problems = []
    for addr, info in sorted(infos.items()):
        if isinstance(info, BaseException):
            problems.append(f"{addr}: {type(info).__name__}: {info}")
            continue
        problems += [f"{addr}: {p}" for p in unfit(info["mode"], info, here)]
        if info["mode"] == "uid":
            log(f"warning: {addr} sandboxes kernels by uid only (no namespaces): see the README")
    if problems:
        raise ClusterError("the Dask workers cannot grade this run:\n  - " + "\n  - ".join(problems))


class _ClusterLost(Exception):
    pass


# How long the workers may take to answer :func:`worker_info` (each starts a sandboxed Python
# that imports ipykernel and coursekit, and hashes its coursekit): seconds on an idle machine,
# close to a minute with three workers on two loaded cores. The wait ends as soon as every worker
# has answered or left; one that is still silent after this does not hold the run up (each task
# checks its own worker anyway).
WORKER_CHECK_TIMEOUT = 600


def _workers_now(client):
    """``{address: threads}`` of the scheduler's workers, as the scheduler says now; raises
    (``OSError``...) when it does not answer. ``Client.scheduler_info`` is no substitute: when
    the scheduler does not answer in time it returns the last answer it had, which may list no
    worker at all (a scheduler stalled for 10 s by a loaded machine looked like one without
    workers)."""
    return dict(client.nthreads())


def _ask_workers(client, timeout, log=print, check_timeout=WORKER_CHECK_TIMEOUT):
    """:func:`worker_info` from every worker, as a task pinned to it (``Client.run`` would run
    it in the worker's event loop, which the sandbox probe would block for seconds).

    Returns ``{address: info or exception}`` for the workers that answered; raises
    :class:`ClusterError` when there is no worker within ``timeout`` seconds or none answers.
    """
    from distributed import wait

    deadline = time.monotonic() + timeout
    workers = {}
    while not workers:
        try:
            workers = _workers_now(client)
        except Exception:  # noqa: BLE001 - no answer yet: asked again until the deadline
            workers = {}
        if not workers:
            if time.monotonic() > deadline:
                raise ClusterError(f"the Dask scheduler has no worker (waited {timeout:g} s)")
            time.sleep(0.5)
    futs = {w: client.submit(worker_info, key=f"coursekit-worker-info-{uuid.uuid4().hex}",
                             workers=[w], allow_other_workers=False, pure=False)
            for w in sorted(workers)}
    deadline = time.monotonic() + check_timeout
    waiting = dict(futs)
    while waiting and time.monotonic() < deadline:
        try:
            present = _workers_now(client)
        except Exception:  # noqa: BLE001 - no answer this time: nobody is taken for gone
            present = None
        if present is not None:
            for w in [w for w in waiting if w not in present]:
                del waiting[w]  # left the cluster: its pinned task would wait for it forever
        waiting = {w: f for w, f in waiting.items() if f.status == "pending"}
        if waiting:
            try:
                with client.as_current():
                    wait(list(waiting.values()), timeout=2, return_when="FIRST_COMPLETED")
            except Exception:  # noqa: BLE001 - not yet (TimeoutError) or the worker went
                pass
    infos = {}
    for w, f in futs.items():
        if f.status == "finished":
            infos[w] = f.result()
        elif f.status == "error":
            infos[w] = f.exception()
        f.cancel()
    if not infos:
        raise ClusterError(f"no Dask worker answered the environment check in {check_timeout:g} s"
                           f" ({len(workers)} worker(s) connected)")
    silent = sorted(set(waiting) - set(infos))
    if silent:
        log(f"warning: {len(silent)} Dask worker(s) did not answer the environment check in "
            f"{check_timeout:g} s ({', '.join(silent)}); each task checks its worker before grading")
    return infos


MAX_ATTEMPTS = 3  # a submission sent to an unfit worker is sent again, this many times at most
# Fetching a finished result (a few MB at most). A result whose worker dies meanwhile is computed
# again by Dask; past this the fetch is left for a later pass of the loop.
FETCH_TIMEOUT = 60


class _DeferredInterrupt:
    """Ctrl-C while a result is being written takes effect once it is written: the result file,
    the executed notebook and the gradebook row of a student go together or not at all.

    Only in the main thread (the only one Python delivers signals to) and only when SIGINT has
    Python's default handler: a process started with SIGINT ignored (``nohup``, a background job
    of a script) keeps ignoring it.
    """

    def __enter__(self):
        self.previous = None
        self.caught = False
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
            self.previous = signal.signal(signal.SIGINT, self._catch)
        return self

    def _catch(self, signum, frame):
        self.caught = True

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            if self.caught and exc[0] is None:
                raise KeyboardInterrupt
        return False


def grade_on_cluster(scheduler, todo, bundle, record, log=print, window=None,
                     connect_timeout=30, reconnect_timeout=120, no_worker_timeout=300):
    """Grade ``todo`` (``[(student, path, sha)]``) on the cluster at ``scheduler``.

    ``record(student, reply)`` is called in this thread, once per student, with
    ``{"result": ..., "feedback": ..., "executed": ...}`` as each result arrives (``feedback``
    and ``executed`` None for a submission the cluster could not grade). Raises
    :class:`ClusterError` before grading anything when the scheduler is unreachable or a worker
    is unfit; returns the workers seen.

    Each submission in flight is settled by its future's own status, looked at on every pass:
    ``finished`` (its result is fetched and recorded), ``error`` (the task raised, or killed
    ``allowed-failures`` workers: a ``grader_error`` row) or ``cancelled`` (the connection to
    the scheduler was lost: sent again). Any other status is not an outcome: ``pending``, and
    ``lost`` -- a finished result whose worker died before it was fetched, which Dask computes
    again by itself -- are waited for.
    """
    from distributed import Client, wait

    def connect(deadline):
        last = None
        while True:
            try:
                return Client(scheduler, timeout=connect_timeout, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                last = exc
            if time.monotonic() > deadline:
                raise _ClusterLost(f"cannot reach the Dask scheduler at {scheduler}: {last}")
            time.sleep(1)

    try:
        client = connect(time.monotonic() + connect_timeout)
    except _ClusterLost as exc:
        raise ClusterError(str(exc)) from None
    pending = list(reversed(todo))  # popped from the end: in the given order
    inflight = {}  # key -> (future, item)
    done, attempts, warned = set(), {}, set()
    seen_workers = set()

    def failed(student, sha, exc):
        return {"result": not_graded(
            student, bundle["assignment"], bundle["tasks"], sha,
            f"not graded: the cluster failed on this submission "
            f"({type(exc).__name__}: {str(exc)[:200]}); run again to grade it"),
            "feedback": None, "executed": None}

    def settle(fut, item):
        """The reply to record for a settled future, ``None`` to send it again, or ``...`` when
        it is not settled after all (it stays in flight)."""
        student, path, sha = item
        status = fut.status
        if status == "cancelled":
            return None
        if status == "finished":
            try:
                return fut.result(timeout=FETCH_TIMEOUT)
            except (TimeoutError, CancelledError, asyncio.CancelledError):
                return ...  # lost with its worker meanwhile, or the connection dropped
            except Exception as exc:  # noqa: BLE001
                if fut.status != "finished":
                    return ...  # it failed or was cancelled meanwhile: a later pass settles it
                return failed(student, sha, exc)  # the result cannot be read here
        if status != "error":
            return ...
        try:
            exc = fut.exception(timeout=FETCH_TIMEOUT)
        except (TimeoutError, CancelledError, asyncio.CancelledError):
            return ...
        if exc is None:
            return ...  # retried meanwhile
        if isinstance(exc, WorkerUnfit) and attempts.get(student, 0) < MAX_ATTEMPTS:
            attempts[student] = attempts.get(student, 0) + 1
            if str(exc) not in warned:
                warned.add(str(exc))
                log(f"warning: {exc}")
            return None
        return failed(student, sha, exc)

    try:
        infos = _ask_workers(client, connect_timeout, log)
        check_workers(infos, log)
        seen_workers.update(infos)
        last_worker_seen = time.monotonic()
        slots = len(infos)
        while pending or inflight:
            if client.status != "running":
                # Connection lost (scheduler restarted?): the client cancelled every future.
                deadline = time.monotonic() + reconnect_timeout
                while client.status == "connecting" and time.monotonic() < deadline:
                    time.sleep(0.2)
                if client.status != "running":
                    try:
                        client.close(timeout=5)
                    except Exception:  # noqa: BLE001 - it is gone anyway
                        pass
                    client = connect(deadline)
                log(f"reconnected to the Dask scheduler; the {len(inflight)} submission(s) in "
                    "flight are sent again")
                for _, item in inflight.values():
                    pending.append(item)
                inflight.clear()
            try:
                workers = _workers_now(client)
            except Exception:  # noqa: BLE001 - no answer this time (a stalled scheduler, or
                workers = None  # the connection dropped: handled above on the next pass)
            if workers is not None:
                seen_workers.update(workers)
                if workers:
                    last_worker_seen = time.monotonic()
                elif time.monotonic() - last_worker_seen > no_worker_timeout:
                    raise _ClusterLost(f"no Dask worker for {no_worker_timeout:g} s")
                slots = sum(workers.values()) or 1
            limit = window or (2 * slots + 2)
            while pending and len(inflight) < limit:
                item = pending.pop()
                student, path, sha = item
                if student in done:
                    continue
                fut = client.submit(grade_remote, bundle, submission_spec(student, path, sha),
                                    key=f"coursekit-grade-{uuid.uuid4().hex}", pure=False)
                inflight[fut.key] = (fut, item)
            ready = [key for key, (fut, _) in inflight.items()
                     if fut.status in ("finished", "error", "cancelled")]
            if not ready:
                if not inflight:
                    time.sleep(0.5)
                    continue
                try:
                    with client.as_current():
                        wait([f for f, _ in inflight.values()], timeout=1,
                             return_when="FIRST_COMPLETED")
                except Exception:  # noqa: BLE001 - not yet, or a future cancelled or lost
                    pass  # meanwhile, or connection trouble: the next pass looks at each one
                continue
            for key in ready:
                fut, item = inflight[key]
                reply = settle(fut, item)
                if reply is ...:
                    continue
                del inflight[key]
                fut.release()
                student = item[0]
                if reply is None:
                    pending.append(item)
                elif student not in done:
                    with _DeferredInterrupt():
                        done.add(student)
                        record(student, reply)
    except _ClusterLost as exc:
        reason = f"not graded: {exc}; run the command again to grade it"
        log(f"warning: {exc}: the submissions not graded yet get a grader_error row")
        for _, item in list(inflight.values()) + pending:
            student, path, sha = item
            if student not in done:
                done.add(student)
                record(student, {"result": not_graded(student, bundle["assignment"],
                                                      bundle["tasks"], sha, reason),
                                 "feedback": None, "executed": None})
        inflight.clear()
    finally:
        for fut, _ in inflight.values():
            try:
                fut.cancel()
            except Exception:  # noqa: BLE001
                pass
        try:
            client.close(timeout=10)
        except Exception:  # noqa: BLE001
            pass
    return seen_workers
