"""``coursekit autograde``: find every submission, grade them in parallel, write the results.

Output directory (default ``autograded/ID`` in the course root)::

    grades.csv              one row per student x task: student, assignment, task, score,
                            max_score, status, message
    results/STUDENT.json    the worker's result, with the submission's SHA-256 (re-runs skip
                            submissions whose file, source notebook and limits did not change)
    feedback/STUDENT.html   the student's feedback (hidden tests shown as their messages only)
"""

import concurrent.futures
import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

from traitlets.config.loader import PyFileConfigLoader

from . import STATUSES
from . import notebook as nbk
from . import sandbox
from .gradebook import GradebookWriter, default_url, sqlite_path
from .pool import WorkerPool
from .worker import file_sha256

GRADER_VERSION = "1"
CSV_FIELDS = ["student", "assignment", "task", "score", "max_score", "status", "message"]
MAX_ZIP_BYTES = 2 * 1024**3
HARD_MARGIN = 90  # seconds past --timeout before the parent kills a worker (kernel start, feedback)


class CourseDirs:
    """The course's source/release directories from its ``nbgrader_config.py``."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        source, release, course_id = "source", "release", "default_course"
        cfg_path = os.path.join(self.root, "nbgrader_config.py")
        if os.path.exists(cfg_path):
            cfg = PyFileConfigLoader("nbgrader_config.py", path=self.root).load_config()
            cd = cfg.get("CourseDirectory", {})
            source = cd.get("source_directory", source)
            release = cd.get("release_directory", release)
            course_id = cd.get("course_id", course_id)
        self.source = os.path.join(self.root, source)
        self.release = os.path.join(self.root, release)
        self.course_id = course_id

    def assignments(self):
        return sorted(d for d in os.listdir(self.source)
                      if not d.startswith(("_", ".")) and os.path.isfile(self.source_notebook(d)))

    def source_notebook(self, aid):
        return os.path.join(self.source, aid, f"{aid}.ipynb")

    def release_dir(self, aid):
        return os.path.join(self.release, aid)


def _safe_extract(zip_path, dest):
    """Extract a zip without following its paths outside ``dest`` or exceeding a size budget."""
    total = 0
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = info.filename
            parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
            if not parts or ".." in parts or name.startswith("/") or info.is_dir():
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                continue  # symlink entry
            if "__MACOSX" in parts:
                continue
            total += info.file_size
            if total > MAX_ZIP_BYTES:
                raise ValueError("the zip file expands to more than 2 GB")
            target = os.path.join(dest, *parts)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


def find_submissions(directory, assignment):
    """Map student -> notebook path (None when the student's folder holds no notebook).

    Accepted layouts: ``STUDENT/ID.ipynb``; nbgrader's ``submitted/STUDENT/ID/ID.ipynb`` (DIR may be
    the course root, ``submitted/`` or what is inside it); a zip file of either, possibly wrapped
    in one top-level folder.
    """
    name = f"{assignment}.ipynb"
    if os.path.isdir(os.path.join(directory, "submitted")):
        directory = os.path.join(directory, "submitted")
    entries = [e for e in sorted(os.listdir(directory)) if not e.startswith((".", "__MACOSX"))]
    dirs = [e for e in entries if os.path.isdir(os.path.join(directory, e))
            and not os.path.islink(os.path.join(directory, e))]
    # A zip that wrapped everything in one folder: descend into it.
    if len(dirs) == 1 and not any(e.endswith(".ipynb") for e in entries):
        inner = os.path.join(directory, dirs[0])
        sub = [e for e in os.listdir(inner) if os.path.isdir(os.path.join(inner, e))]
        if sub and not os.path.exists(os.path.join(inner, name)) and not os.path.isdir(
                os.path.join(inner, assignment)):
            return find_submissions(inner, assignment)
    found = {}
    for student in dirs:
        sdir = os.path.join(directory, student)
        candidates = [os.path.join(sdir, name), os.path.join(sdir, assignment, name)]
        path = next((c for c in candidates if os.path.lexists(c)), None)
        if path is None:
            # A renamed notebook ("hw1 (1).ipynb"): graded if it is the only one.
            for base in (sdir, os.path.join(sdir, assignment)):
                nbs = [f for f in (os.listdir(base) if os.path.isdir(base) else [])
                       if f.endswith(".ipynb")]
                if len(nbs) == 1:
                    path = os.path.join(base, nbs[0])
                    break
        found[student] = path
    return found


def _progress(done, total, counts, start, stream=sys.stderr):
    width = 30
    filled = int(width * done / max(total, 1))
    rate = done / max(time.monotonic() - start, 1e-9)
    summary = " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                 f"{rate:.2f}/s {summary}   ")
    if done == total:
        stream.write("\n")
    stream.flush()


def _mpl_cache():
    try:
        import matplotlib
        import matplotlib.font_manager  # noqa: F401  (builds the font list if needed)

        return matplotlib.get_cachedir()
    except Exception:
        return None


def _grader_key(source_path, limits):
    h = hashlib.sha256()
    with open(source_path, "rb") as fh:
        h.update(fh.read())
    h.update(json.dumps([GRADER_VERSION, limits], sort_keys=True).encode())
    return h.hexdigest()


def _run_worker(job, job_path, hard_timeout, pool=None):
    if pool is not None:
        rc, killed = pool.run(job_path, hard_timeout)
        if rc != 0 or killed:  # else the worker killed the uid's processes itself
            sandbox.kill_uid(job.get("uid"))
        return rc, killed
    cmd = [sys.executable, "-m", "coursekit.grading.worker", job_path]
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    log = open(os.path.join(job["staging"], "worker.log"), "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True, env=env)
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
    return proc.returncode, killed


def _load_result(job, rc, killed, tasks):
    try:
        with open(job["result_path"]) as fh:
            res = json.load(fh)
    except (OSError, ValueError):
        res = {"student": job["student"], "assignment": job["assignment"], "notes": [],
               "tasks": [dict(t, score=0.0, status="timeout", message="not run (time limit)")
                         for t in tasks]}
    if not res.get("complete"):
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


def _write_atomic(path, text):
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def autograde(course_root, assignment, submissions, out=None, jobs=1, timeout=300,
              cell_timeout=None, memory_mb=2048, db_url=None, nproc=128, fsize_mb=64,
              output_kb=1024, progress=True, log=print, scheduler=None):
    """Grade every submission of ``assignment`` in ``submissions``; return the grades rows.

    Locally (``jobs`` grading workers, :mod:`coursekit.grading.pool`) or, with ``scheduler``
    (``tcp://HOST:PORT``), on the workers of that Dask cluster
    (:mod:`coursekit.grading.dask_executor`).
    """
    course = CourseDirs(course_root)
    source_path = course.source_notebook(assignment)
    if not os.path.isfile(source_path):
        raise FileNotFoundError(f"no source notebook {source_path}")
    source_nb = nbk.read_source(source_path)
    task_list = nbk.tasks(source_nb)
    out = os.path.abspath(out or os.path.join(course.root, "autograded", assignment))
    for sub in ("results", "feedback"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    db_url = db_url or default_url(course.root)
    cell_timeout = cell_timeout or min(timeout, 120)
    limits = dict(timeout=timeout, cell_timeout=cell_timeout, memory_mb=memory_mb, nproc=nproc,
                  fsize_mb=fsize_mb, output_kb=output_kb)
    grader_key = _grader_key(source_path, limits)

    tmp_root = tempfile.mkdtemp(prefix="coursekit-grade-")  # 0700: job files, extracted zips
    os.chmod(tmp_root, 0o711)  # kernels must traverse it to reach their own 0700 directory
    try:
        src_dir = os.path.abspath(submissions)
        if zipfile.is_zipfile(src_dir) and os.path.isfile(src_dir):
            extracted = os.path.join(tmp_root, "unzipped")
            os.makedirs(extracted, mode=0o700)
            _safe_extract(src_dir, extracted)
            found = find_submissions(extracted, assignment)
        else:
            found = find_submissions(src_dir, assignment)

        mode = sandbox.choose_mode(log=log)
        root_user = mode in ("namespaces", "uid")
        namespaces = mode == "namespaces"
        hidden = [course.source, os.path.join(course.root, ".git"), out, src_dir]
        db_file = sqlite_path(db_url)
        if db_file:
            hidden.append(db_file)
        writer = GradebookWriter(db_url, assignment, source_nb, assignment,
                                 course_id=course.course_id)
        if root_user:
            probe = sandbox.new_uid()
            sandbox.close_paths([p for p in hidden if os.path.lexists(p)], probe, log=log)
        elif progress and not sandbox.is_root():
            log("warning: not running as root, so student code runs as this user "
                "(resource limits only); see the README")
        mpl_cache = _mpl_cache()
        todo, results = [], {}
        for student, path in sorted(found.items()):
            sha = file_sha256(path) if path and os.path.isfile(path) and not os.path.islink(path) else ""
            rpath = os.path.join(out, "results", f"{student}.json")
            try:
                with open(rpath) as fh:
                    old = json.load(fh)
                if (old.get("complete") and old.get("submission_sha256") == sha
                        and old.get("grader_key") == grader_key):
                    results[student] = old
                    continue
            except (OSError, ValueError):
                pass
            todo.append((student, path, sha))

        lock = threading.Lock()
        interrupted = threading.Event()
        counts, done = {}, [0]
        start = time.monotonic()
        if progress:
            log(f"{assignment}: {len(found)} submissions, {len(todo)} to grade "
                f"({len(found) - len(todo)} unchanged), "
                + (f"on the Dask cluster at {scheduler}" if scheduler else f"{jobs} parallel job(s)"))

        def one(item):
            student, path, sha = item
            staging = tempfile.mkdtemp(prefix="job-", dir=tmp_root)
            os.chmod(staging, 0o711)
            job = dict(limits, student=student, assignment=assignment, submission=path,
                       sha256=sha, grader_key=grader_key, source=source_path,
                       release_dir=course.release_dir(assignment),
                       notebook_name=f"{assignment}.ipynb", staging=staging,
                       result_path=os.path.join(out, "results", f"{student}.json"),
                       feedback_path=os.path.join(out, "feedback", f"{student}.html"),
                       uid=sandbox.new_uid() if root_user else 0, namespaces=namespaces,
                       hide=[p for p in hidden if os.path.lexists(p)], mpl_cache=mpl_cache)
            job_path = os.path.join(staging, "job.json")
            with open(os.open(job_path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as fh:
                json.dump(job, fh)
            rc, killed = _run_worker(job, job_path, timeout + HARD_MARGIN, workers)
            if interrupted.is_set():
                return student  # Ctrl-C: no result recorded, the next run grades it
            res = _load_result(job, rc, killed, task_list)
            finish(student, res)
            if rc == 0 and not killed:
                shutil.rmtree(staging, ignore_errors=True)
            return student

        def finish(student, res):
            with lock:
                writer.record(res)
                results[student] = res
                for t in res["tasks"]:
                    counts[t["status"]] = counts.get(t["status"], 0) + 1
                done[0] += 1
                if progress:
                    _progress(done[0], len(todo), counts, start)

        def arrived(student, reply):
            """A result from the Dask cluster: written here, by this process only."""
            _write_atomic(os.path.join(out, "results", f"{student}.json"),
                          json.dumps(reply["result"], indent=1))
            if reply["feedback"] is not None:
                _write_atomic(os.path.join(out, "feedback", f"{student}.html"), reply["feedback"])
            finish(student, reply["result"])

        if scheduler:
            from . import dask_executor

            bundle = dask_executor.make_bundle(assignment, source_path,
                                               course.release_dir(assignment), task_list, limits,
                                               grader_key)
            dask_executor.grade_on_cluster(scheduler, todo, bundle, arrived, log=log)
        elif todo:
            workers = WorkerPool(min(int(jobs), len(todo)), cwd=tmp_root, log_dir=tmp_root)
            try:
                with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
                    futs = [pool.submit(one, t) for t in todo]
                    try:
                        for fut in concurrent.futures.as_completed(futs):
                            fut.result()
                    except BaseException:
                        # Ctrl-C (or a bug): stop now. What was recorded stays; the submissions
                        # in progress are killed and recorded nowhere, so a re-run grades them.
                        interrupted.set()
                        for fut in futs:
                            fut.cancel()
                        workers.kill()
                        raise
            finally:
                workers.close()
        # Unchanged submissions are in the gradebook already; make sure of it (e.g. a new --db).
        for student in sorted(results):
            if (student, found.get(student)) not in [(t[0], t[1]) for t in todo]:
                writer.record(results[student])
        writer.close()
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)

    rows = []
    for student in sorted(results):
        for t in results[student]["tasks"]:
            rows.append({"student": student, "assignment": assignment, "task": t["task"],
                         "score": f"{float(t['score']):g}", "max_score": f"{float(t['max_score']):g}",
                         "status": t["status"], "message": t.get("message", "")})
    with open(os.path.join(out, "grades.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        w.writeheader()
        w.writerows(rows)
    assert all(r["status"] in STATUSES for r in rows)
    return rows
