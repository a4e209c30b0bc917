"""One submission, one job: the interface every executor (serial, threads, pool, Dask) calls.

A *job* is a JSON-serialisable dict describing one notebook to grade (who, which file, which
assignment, the limits, where the result goes, how to sandbox the kernel);
:func:`grade_job` grades it in its own worker process and returns the *result* dict::

    {"student", "assignment", "submission_sha256", "grader_key", "complete": True,
     "notes": [...], "tasks": [{"task", "max_score", "score", "status", "message"}, ...]}

Whatever the executor, the same job gives the same result: the worker runs with the job's
staging folder as working directory and imports ``coursekit`` from the run's package snapshot
(:func:`package_snapshot`), and so does the kernel (``PYTHONPATH``, the only ``coursekit``
mounted back into its sandbox). The course folder's own ``coursekit/`` (a clone of the course
repository has one) or another installed copy is never picked up by accident.

A result is *cacheable* (:func:`reusable`) only when it is complete and no task is a
``grader_error``: the grader's own failures are regraded on the next run.
"""

import hashlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys

from . import sandbox

GRADER_VERSION = "2"
HARD_MARGIN = 90  # seconds past the job's timeout before its worker is killed


def file_sha256(path):
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return ""
    return h.hexdigest()


def running_package():
    """The folder of the ``coursekit`` package this process runs (the grader's own code)."""
    import coursekit

    return os.path.dirname(os.path.realpath(coursekit.__file__))


def package_snapshot(dest):
    """Copy the running ``coursekit`` package to ``dest/coursekit``; return ``dest``.

    ``dest`` goes on the worker's and the kernel's ``PYTHONPATH``: every process of the run
    grades with exactly this code, even if the package is edited or reinstalled meanwhile, and
    the folder holds nothing but the package (no course files come along on the path).
    """
    src = running_package()
    os.makedirs(dest, exist_ok=True)
    os.chmod(dest, 0o755)
    shutil.copytree(src, os.path.join(dest, "coursekit"), symlinks=False,
                    ignore=shutil.ignore_patterns("*.nbi", "*.nbc", ".*"))
    for root, dirs, files in os.walk(dest):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    return dest


def module_file(lib, name):
    """The source file of module ``name`` (``coursekit.x.y``) inside the snapshot ``lib``."""
    parts = name.split(".")
    base = os.path.join(lib, *parts)
    for cand in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.isfile(cand):
            return cand
    return None


def grader_key(source_path, release_dir, limits, lib, modules):
    """What a result depends on besides the submission: the instructor's notebook, the release's
    data files, the limits, and the code of every ``coursekit`` module the checks imported
    (found by grading the instructor's solution) plus the grading worker itself."""
    h = hashlib.sha256()
    h.update(json.dumps([GRADER_VERSION, limits], sort_keys=True).encode())
    h.update(file_sha256(source_path).encode())
    if release_dir and os.path.isdir(release_dir):
        for name in sorted(os.listdir(release_dir)):
            p = os.path.join(release_dir, name)
            if os.path.isfile(p) and not name.endswith(".ipynb"):
                h.update(name.encode() + file_sha256(p).encode())
    deps = set(modules) | {"coursekit.grading.worker", "coursekit.grading.notebook",
                           "coursekit.grading.sandbox", "coursekit.grading.forkserver",
                           "coursekit.grading.pool"}
    for name in sorted(deps):
        path = module_file(lib, name) if name.startswith("coursekit") else None
        h.update(name.encode() + (file_sha256(path) if path else "-").encode())
    data = os.path.join(lib, "coursekit", "data")
    if any(m.startswith("coursekit.datasets") for m in deps) and os.path.isdir(data):
        for name in sorted(os.listdir(data)):
            h.update(name.encode() + file_sha256(os.path.join(data, name)).encode())
    return h.hexdigest()


def reusable(result, sha, key):
    """Whether a stored result may stand for this submission under this grader."""
    return bool(result and result.get("complete") and result.get("submission_sha256") == sha
                and result.get("grader_key") == key
                and not any(t.get("status") == "grader_error" for t in result.get("tasks", [])))


def _initial_tasks(tasks):
    return [dict(t, score=0.0, status="timeout", message="not run (time limit)") for t in tasks]


def load_result(job, rc, killed, tasks):
    """The worker's result for ``job`` after its process ended with ``rc`` (``killed`` when the
    hard limit was reached). Tasks the worker never reached become ``timeout`` (killed) or
    ``grader_error`` (the worker itself failed); nothing is lost."""
    try:
        with open(job["result_path"]) as fh:
            res = json.load(fh)
    except (OSError, ValueError):
        res = {"student": job["student"], "assignment": job["assignment"], "notes": [],
               "tasks": _initial_tasks(tasks)}
    if not res.get("complete") or (rc != 0 and not killed):
        for t in res["tasks"]:
            if t["status"] == "timeout" and t["message"].startswith("not run"):
                if killed:
                    t["message"] = "the submission hit the hard time limit"
                else:
                    t.update(status="grader_error", message=f"the grader failed (exit code {rc})")
        res["complete"] = True
    res["submission_sha256"] = job["sha256"]
    res["grader_key"] = job["grader_key"]
    with open(job["result_path"], "w") as fh:
        json.dump(res, fh, indent=1)
    return res


def worker_command(job_path):
    return [sys.executable, "-m", "coursekit.grading.worker", job_path]


def worker_env(job):
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    lib = job.get("lib")
    if lib:
        env["PYTHONPATH"] = lib  # the run's snapshot of coursekit, and nothing else
    return env


def grade_job(job, tasks, pool=None, interrupted=None):
    """Grade one submission in a worker process (hard wall-clock limit); return the result.

    ``job`` is the dict built by the runner (see the module docstring); ``tasks`` the
    assignment's autograded tasks (``[{"task", "max_score"}]``), used when the worker left
    nothing behind. ``pool``: a :class:`coursekit.grading.pool.WorkerPool` whose long-lived
    workers grade it (started with :func:`worker_env`), else a new worker process.
    ``interrupted``: a :class:`threading.Event`; once set (Ctrl-C), nothing is recorded for
    this job (None is returned) and the next run grades it.
    """
    staging = job["staging"]
    job_path = os.path.join(staging, "job.json")
    with open(os.open(job_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
        json.dump(job, fh)
    hard_timeout = float(job["timeout"]) + HARD_MARGIN
    if pool is not None:
        rc, killed = pool.run(job_path, hard_timeout, job)  # may give the job another uid
        if rc != 0 or killed:  # else the worker killed the uid's processes itself
            sandbox.kill_uid(job.get("uid"))
        if interrupted is not None and interrupted.is_set():
            return None
        return _finish(job, tasks, rc, killed)
    log = open(os.path.join(staging, "worker.log"), "wb")
    # The staging folder as working directory: `python -m` puts the cwd first on sys.path, and
    # the course root (which may hold its own coursekit/) must not shadow the snapshot.
    proc = subprocess.Popen(worker_command(job_path), stdout=log, stderr=log, cwd=staging,
                            start_new_session=True, env=worker_env(job))
    killed = False
    try:
        proc.wait(timeout=hard_timeout)
    except subprocess.TimeoutExpired:
        killed = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait()
    finally:
        log.close()
        sandbox.kill_uid(job.get("uid"))
    if interrupted is not None and interrupted.is_set():
        return None
    return _finish(job, tasks, proc.returncode, killed)


def _finish(job, tasks, rc, killed):
    staging = job["staging"]
    res = load_result(job, rc, killed, tasks)
    if any(t["status"] == "grader_error" for t in res["tasks"]):
        # The instructor's evidence: the end of the worker's and the kernel's logs.
        res["grader_log"] = {name: _tail(os.path.join(staging, name))
                             for name in ("worker.log", "kernel.log")}
        with open(job["result_path"], "w") as fh:
            json.dump(res, fh, indent=1)
    return res


def _tail(path, limit=4000):
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - limit))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def module_exists(name, lib):
    """Whether ``name`` is a module of the snapshot package (an import error for it in the kernel
    is then the grader's fault, not the student's)."""
    return module_file(lib, name) is not None if lib else importlib.util.find_spec(name) is not None
