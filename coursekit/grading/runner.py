"""``coursekit autograde``: prove the grader, find every submission, grade them, write results.

A run, in order:

1. snapshot the running ``coursekit`` package (every process of the run grades with it);
2. find the submissions (none found: error, nothing written);
3. **self-check**: grade the instructor's solution and the released notebook exactly as a
   submission is graded (same job, worker, sandbox, mounts, package). The solution must score
   full marks and the release zero, with no grader error; otherwise :class:`SelfCheckError` and
   nothing is graded;
4. grade every submission whose stored result does not stand (new or changed file, changed
   checks/solution/limits, a previous ``grader_error``, ``force``, or named in ``students``);
5. write the gradebook (never a ``grader_error`` score) and ``grades.csv``.

Output directory (default ``autograded/ID`` in the course root)::

    grades.csv              one row per student x task: student, assignment, task, score,
                            max_score, status, message
    results/STUDENT.json    the worker's result, with the submission's SHA-256 and the grader key
    feedback/STUDENT.html   the student's feedback (hidden tests shown as their messages only)
    selfcheck/              the self-check's results and feedback (solution, release)
"""

import concurrent.futures
import csv
import json
import os
import queue
import shutil
import sys
import tempfile
import threading
import time

from traitlets.config.loader import PyFileConfigLoader

from . import STATUSES
from . import jobs as jobmod
from . import notebook as nbk
from . import outputs
from . import sandbox
from . import submissions as subsmod
from .config import CourseConfig
from .grades import Grade, structure
from .gradebook import GradebookWriter, default_url, sqlite_path
from .jobs import file_sha256
from .pool import WorkerPool

SANDBOX_MODES = ("namespaces", "uid", "none")


class SelfCheckError(Exception):
    """The grader failed to grade the instructor's own notebooks correctly: nothing was graded."""


class NoSubmissionsError(ValueError):
    """No submission was found where the instructor pointed."""


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
    """matplotlib's cache folder with its font list (the workers copy it to every fork server and
    kernel). Where matplotlib keeps it by default (``$MPLCONFIGDIR``, else the XDG cache folder)
    is looked at first: importing matplotlib here only to ask costs a second of CPU per run."""
    env = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "matplotlib")

    def has_fontlist(d):
        try:
            return any(n.startswith("fontlist-") and n.endswith(".json") for n in os.listdir(d))
        except OSError:
            return False

    if has_fontlist(env):
        return env
    try:
        import matplotlib
        import matplotlib.font_manager  # noqa: F401  (builds the font list if needed)

        return matplotlib.get_cachedir()
    except Exception:
        return None


class Outcome:
    """What a run did: the rows of grades.csv and everything the command line reports."""

    def __init__(self, assignment, out):
        self.assignment = assignment
        self.out = out
        self.rows = []
        self.results = {}      # student -> result dict
        self.graded = []       # students graded in this run
        self.reused = []       # students whose stored result stood
        self.selfcheck = {}    # "solution"/"release" -> result dict
        self.notes = []        # what the run changed or noticed (printed by the CLI)
        self.discovery = None  # submissions.Discovery
        self.grades = []       # grades.Grade per student
        self.attention = {}

    @property
    def grader_errors(self):
        return sorted(s for s, r in self.results.items()
                      if any(t["status"] == "grader_error" for t in r["tasks"]))

    def totals(self):
        """{student: (total, max)}: the final grade (manual parts and late policy included)."""
        if self.grades:
            return {g.student: (g.total, g.max_score) for g in self.grades}
        return {s: (sum(float(t["score"]) for t in r["tasks"]),
                     sum(float(t["max_score"]) for t in r["tasks"]))
                for s, r in sorted(self.results.items())}

    def grade(self, student):
        return next((g for g in self.grades if g.student == student), None)

    @property
    def all_zero(self):
        """Every submission scored zero on the autograded parts (manual parts aside)."""
        t = {s: sum(float(x["score"]) for x in r["tasks"]) for s, r in self.results.items()}
        return bool(t) and all(score == 0 for score in t.values())

    def problems(self):
        """Reasons this run must exit non-zero (empty list: a clean run)."""
        out = []
        errs = self.grader_errors
        if errs:
            out.append(f"{len(errs)} submission(s) hit a grader error (not the students' fault; "
                       f"they will be regraded on the next run): {', '.join(errs[:10])}"
                       + (" ..." if len(errs) > 10 else ""))
        if self.discovery is not None and self.discovery.unmatched:
            out.append(f"{len(self.discovery.unmatched)} file(s) could not be matched to a "
                       f"student and were not graded: see {self.out}/unmatched.csv")
        untimed = [g.student for g in self.grades
                   if g.lateness is not None and g.lateness.status == "unknown"]
        if untimed:
            out.append(f"{len(untimed)} submission(s) have no submission time, so the late "
                       f"policy was not applied to them (a Canvas download holds none: give "
                       f"the times with --timestamps CSV): {', '.join(untimed[:10])}"
                       + (" ..." if len(untimed) > 10 else ""))
        if self.discovery is not None and self.discovery.unused_timestamps:
            names = self.discovery.unused_timestamps
            out.append(f"the timestamps file names {len(names)} student(s) with no submission "
                       f"here, whose times were not used: {', '.join(names[:10])}"
                       + (" ..." if len(names) > 10 else ""))
        if self.all_zero:
            out.append(f"every submission ({len(self.results)}) scored zero: check the "
                       f"submissions are for {self.assignment} and look at a feedback page")
        return out

    # A list-like view keeps callers that treat the outcome as the rows working.
    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return self.rows[i]


def choose_sandbox(requested, log):
    """The sandbox mode: the strongest available, or the weaker one asked for."""
    best = sandbox.choose_mode(log=log)
    if requested in (None, "auto"):
        return best
    if requested not in SANDBOX_MODES:
        raise ValueError(f"--sandbox must be one of auto, {', '.join(SANDBOX_MODES)}; "
                         f"got {requested!r}")
    if SANDBOX_MODES.index(requested) < SANDBOX_MODES.index(best):
        raise ValueError(f"--sandbox {requested} is not available on this machine "
                         f"(the strongest mode here is {best!r}; see the README)")
    if requested == "uid" and best == "namespaces" and not sandbox.probe(False):
        raise ValueError("--sandbox uid is not available on this machine: a kernel under a "
                         "fresh uid cannot run this Python without the namespaces mode's mounts "
                         "(install Python where other users can run it; see the README)")
    return requested


class _PrivatePaths:
    """In ``uid`` mode the kernels' fresh uids could read the course's world-readable files: the
    run removes the group/other permissions of the sensitive paths and puts them back at the end
    (saying so). In ``namespaces`` mode nothing is changed: those paths are not even mounted."""

    def __init__(self, log):
        self.log = log
        self.changed = []

    def close(self, paths):
        probe = sandbox.new_uid()
        for path in paths:
            if not os.path.lexists(path) or os.path.islink(path):
                continue
            if not sandbox.readable_by(probe, path):
                continue
            mode = os.stat(path).st_mode & 0o7777
            os.chmod(path, mode & 0o7700)
            self.changed.append((path, mode))
            self.log(f"sandbox: {path} made private for this run (mode {mode:o} -> "
                     f"{mode & 0o7700:o}; restored when the run ends)")

    def restore(self):
        for path, mode in reversed(self.changed):
            try:
                os.chmod(path, mode)
            except OSError as exc:
                self.log(f"sandbox: could not restore the mode of {path}: {exc.strerror}")
        if self.changed:
            self.log(f"sandbox: restored the permissions of {len(self.changed)} path(s)")
        self.changed = []


def _summarise(res):
    total = sum(float(t["score"]) for t in res["tasks"])
    mx = sum(float(t["max_score"]) for t in res["tasks"])
    return total, mx


def check_selfcheck(solution, release):
    """Problems of the self-check results (empty list: the grader proved itself)."""
    problems = []
    bad = [t for t in solution["tasks"]
           if t["status"] != "ok" or float(t["score"]) != float(t["max_score"])]
    if bad:
        total, mx = _summarise(solution)
        problems.append(f"the instructor's solution scored {total:g}/{mx:g} in the grading "
                        "sandbox; " + "; ".join(f"{t['task']}: {t['status']}: {t['message']}"
                                                for t in bad[:3]))
    scored = [t for t in release["tasks"] if float(t["score"]) != 0]
    if scored:
        problems.append("the released notebook (no answers) scores points: "
                        + "; ".join(f"{t['task']} gives {float(t['score']):g}" for t in scored[:3])
                        + " (a test that passes without an answer)")
    errors = [t for t in release["tasks"] if t["status"] != "failed"]
    if errors:
        problems.append("the released notebook was not graded cleanly: "
                        + "; ".join(f"{t['task']}: {t['status']}: {t['message']}"
                                    for t in errors[:3]))
    return problems


def run_paths(course, assignment, out=None, db_url=None):
    """The results folder and gradebook URL of a run: ``out`` without ``db_url`` keeps the
    gradebook in ``out`` (a side run touches nothing of the course's)."""
    if out is None:
        return (os.path.join(course.root, "autograded", assignment),
                db_url or default_url(course.root))
    out = os.path.abspath(out)
    return out, db_url or "sqlite:///" + os.path.join(out, "gradebook.db")


def _write_atomic(path, text):
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def autograde(course_root, assignment, submissions, out=None, jobs=1, timeout=300,
              cell_timeout=None, memory_mb=2048, db_url=None, nproc=128, fsize_mb=64,
              output_kb=1024, progress=True, log=print, force=False, students=None,
              sandbox_mode="auto", mapping=None, timestamps=None, include_pending=False,
              scheduler=None):
    """Grade every submission of ``assignment`` in ``submissions``; return an :class:`Outcome`.

    Raises :class:`SelfCheckError` (nothing graded) when the grader cannot grade the instructor's
    solution to full marks and the released notebook to zero, and :class:`NoSubmissionsError`
    when no submission is found. ``out`` given without ``db_url`` keeps the gradebook in ``out``
    too, so a side run never touches the course's ``gradebook.db`` or ``autograded/``.

    Locally (``jobs`` grading workers, :mod:`coursekit.grading.pool`) or, with ``scheduler``
    (``tcp://HOST:PORT``), on the workers of that Dask cluster
    (:mod:`coursekit.grading.dask_executor`); the self-check runs here, with the same
    ``coursekit`` the workers must have (the cluster path refuses workers whose package differs).
    """
    course = CourseDirs(course_root)
    config = CourseConfig(course.root)
    settings = config.assignment(assignment)
    source_path = course.source_notebook(assignment)
    if not os.path.isfile(source_path):
        known = ", ".join(course.assignments()) if os.path.isdir(course.source) else "none"
        raise FileNotFoundError(f"no source notebook {source_path} (assignments: {known})")
    release_path = os.path.join(course.release_dir(assignment), f"{assignment}.ipynb")
    source_nb = nbk.read_source(source_path)
    task_list = nbk.tasks(source_nb)
    in_course = out is None
    out, db_url = run_paths(course, assignment, out, db_url)
    outcome = Outcome(assignment, out)
    cell_timeout = cell_timeout or min(timeout, 120)
    limits = dict(timeout=timeout, cell_timeout=cell_timeout, memory_mb=memory_mb, nproc=nproc,
                  fsize_mb=fsize_mb, output_kb=output_kb)

    tmp_root = tempfile.mkdtemp(prefix="coursekit-grade-")  # 0700: job files, extracted zips
    os.chmod(tmp_root, 0o711)  # kernels must traverse it to reach their own 0700 directory
    private_paths = _PrivatePaths(log)
    writer = workers = None
    try:
        src_dir = os.path.abspath(submissions)
        mapping = mapping or config.mapping
        roster = subsmod.Mapping(mapping) if mapping else None
        stamps = subsmod.read_timestamps(timestamps, config.tz) if timestamps else None
        discovery = subsmod.discover(src_dir, assignment, tmp_root, mapping=roster,
                                     timestamps=stamps, tz=config.tz)
        outcome.discovery = discovery
        found = discovery.paths()
        if not any(p for p in found.values()):
            listed = "".join(f"\n  - {os.path.relpath(p, discovery.root)}: {why}"
                             for p, why in discovery.unmatched[:20])
            raise NoSubmissionsError(f"no submission of {assignment} found in {submissions} "
                                     f"(read as a {discovery.layout} download)"
                                     + (f"; files not matched:{listed}" if listed else ""))
        if students:
            unknown = sorted(set(students) - set(found))
            if unknown:
                raise ValueError(f"--student {', '.join(unknown)}: no such student in "
                                 f"{submissions} (found: {', '.join(sorted(found)[:20])})")

        lib = jobmod.package_snapshot(os.path.join(tmp_root, "lib"))
        mode = choose_sandbox(sandbox_mode, log)
        # Nothing is written before here: a usage or input error leaves no trace.
        for sub in ("results", "feedback", "selfcheck"):
            os.makedirs(os.path.join(out, sub), exist_ok=True)
        subsmod.write_manifest(discovery, out)
        root_user = mode in ("namespaces", "uid")
        namespaces = mode == "namespaces"
        hidden = [course.source, os.path.join(course.root, ".git"), out, src_dir]
        db_file = sqlite_path(db_url)
        if db_file:
            hidden.append(db_file)
        if mode == "uid":
            private_paths.close([p for p in hidden if os.path.lexists(p)])
        elif progress and not sandbox.is_root():
            log("warning: not running as root, so student code runs as this user "
                "(resource limits only); see the README")
        mpl_cache = _mpl_cache()

        def make_job(student, path, sha, result_dir, _unused, key):
            staging = tempfile.mkdtemp(prefix="job-", dir=tmp_root)
            os.chmod(staging, 0o711)
            return dict(limits, student=student, assignment=assignment, submission=path,
                        sha256=sha, grader_key=key, source=source_path,
                        release_dir=course.release_dir(assignment),
                        notebook_name=f"{assignment}.ipynb", staging=staging, lib=lib,
                        result_path=os.path.join(result_dir, f"{student}.json"),
                        executed_path=os.path.join(result_dir, f"{student}.ipynb"),
                        uid=sandbox.new_uid() if root_user else 0, namespaces=namespaces,
                        hide=[p for p in hidden if os.path.lexists(p)], mpl_cache=mpl_cache)

        # Long-lived workers (coursekit.grading.pool), started on the snapshot: the self-check
        # and every submission go through the same ones (or through the Dask cluster's).
        workers = WorkerPool(max(1, int(jobs)) if not scheduler else 2,
                             env=jobmod.worker_env({"lib": lib}), cwd=tmp_root, log_dir=tmp_root,
                             shared_kernels=True, mpl_cache=mpl_cache)

        interrupted = threading.Event()

        def run(job):
            res = jobmod.grade_job(job, task_list, pool=workers, interrupted=interrupted)
            if res is None:
                return None
            if not any(t["status"] == "grader_error" for t in res["tasks"]):
                shutil.rmtree(job["staging"], ignore_errors=True)
            return res

        def grade_all(items, key, result_dir, on_result, here=False):
            """Grade ``(student, path, sha)`` items here or on the cluster; ``on_result(student,
            result)`` is called in this process as each result arrives (results and executed
            notebooks are written by this process only)."""
            if not items:
                return
            if scheduler and not here:
                from . import dask_executor

                bundle = dask_executor.make_bundle(assignment, source_path,
                                                   course.release_dir(assignment), task_list,
                                                   limits, key)

                def record(student, reply):
                    res = reply["result"]
                    _write_atomic(os.path.join(result_dir, f"{student}.json"),
                                  json.dumps(res, indent=1))
                    if reply.get("executed"):
                        _write_atomic(os.path.join(result_dir, f"{student}.ipynb"),
                                      reply["executed"])
                    on_result(student, res)

                dask_executor.grade_on_cluster(scheduler, items, bundle, record, log=log)
                return

            # Each grading thread hands its result to this thread and goes straight on to its
            # next submission: the gradebook write (50 ms) no longer keeps a worker waiting.
            arrived_q = queue.SimpleQueue()

            def one(item):
                student, path, sha = item
                res = None
                try:
                    res = run(make_job(student, path, sha, result_dir, None, key))
                finally:
                    # Ctrl-C: nothing recorded, a re-run grades it.
                    ok = res is not None and not interrupted.is_set()
                    arrived_q.put((student, res) if ok else None)

            with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
                futs = [pool.submit(one, t) for t in items]
                try:
                    for _ in futs:
                        got = arrived_q.get()
                        if got is not None:
                            on_result(*got)
                    for fut in futs:
                        fut.result()
                except BaseException:
                    # Ctrl-C (or a bug): stop now. What was recorded stays; the submissions in
                    # progress are killed and recorded nowhere, so a re-run grades them.
                    interrupted.set()
                    for fut in futs:
                        fut.cancel()
                    workers.kill()
                    raise

        # 3. The self-check: the instructor's notebooks, graded like any submission.
        if not os.path.isfile(release_path):
            raise SelfCheckError(f"no released notebook {release_path}: run "
                                 f"`coursekit release {assignment}` first")
        check_dir = os.path.join(out, "selfcheck")
        os.makedirs(os.path.join(check_dir, "results"), exist_ok=True)
        grade_all([(kind, path, file_sha256(path)) for kind, path in
                   (("solution", source_path), ("release", release_path))],
                  "selfcheck", os.path.join(check_dir, "results"),
                  lambda kind, res: outcome.selfcheck.__setitem__(kind, res), here=True)
        problems = check_selfcheck(outcome.selfcheck["solution"], outcome.selfcheck["release"])
        if problems:
            raise SelfCheckError("the grader could not grade the instructor's own notebooks "
                                 "correctly, so nothing was graded:\n  - " + "\n  - ".join(problems)
                                 + f"\n(details: {check_dir}/)")
        sol_total, sol_max = _summarise(outcome.selfcheck["solution"])
        if progress:
            log(f"self-check passed: solution {sol_total:g}/{sol_max:g}, released notebook 0/"
                f"{sol_max:g} (sandbox: {mode}; coursekit from {jobmod.running_package()})")
        key = jobmod.grader_key(source_path, course.release_dir(assignment), limits, lib,
                                outcome.selfcheck["solution"].get("coursekit_modules", []))

        # 4. What to grade.
        todo = []
        for student, path in sorted(found.items()):
            sha = file_sha256(path) if path and os.path.isfile(path) and not os.path.islink(path) else ""
            rpath = os.path.join(out, "results", f"{student}.json")
            old = None
            try:
                with open(rpath) as fh:
                    old = json.load(fh)
            except (OSError, ValueError):
                pass
            named = students is not None and student in students
            if students is not None and not named:
                if old and old.get("tasks"):
                    outcome.results[student] = old
                    outcome.reused.append(student)
                continue
            if not force and not named and jobmod.reusable(old, sha, key):
                outcome.results[student] = old
                outcome.reused.append(student)
                continue
            todo.append((student, path, sha))

        writer = GradebookWriter(db_url, assignment, source_nb, assignment,
                                 course_id=course.course_id)
        lock = threading.Lock()
        counts, done = {}, [0]
        start = time.monotonic()
        if progress:
            log(f"{assignment}: {len(found)} submissions, {len(todo)} to grade "
                f"({len(outcome.reused)} unchanged), "
                + (f"on the Dask cluster at {scheduler}" if scheduler else f"{jobs} parallel job(s)"))

        def arrived(student, res):
            path = found.get(student)
            note = discovery.submissions[student].info.get("note") if student in \
                discovery.submissions else ""
            if not path and note:
                for t in res["tasks"]:
                    if t["status"] == "missing_notebook":
                        t["message"] = note
            with lock:
                writer.record(res)
                outcome.results[student] = res
                outcome.graded.append(student)
                for t in res["tasks"]:
                    counts[t["status"]] = counts.get(t["status"], 0) + 1
                done[0] += 1
                if progress:
                    _progress(done[0], len(todo), counts, start)

        grade_all(todo, key, os.path.join(out, "results"), arrived)
        # Unchanged submissions are in the gradebook already; make sure of it (e.g. a new --db).
        for student in outcome.reused:
            writer.record(outcome.results[student])
        # 5. Grades (autograded + manual + late policy) and everything written from them.
        manifest = {s: sub.as_row(discovery.root) for s, sub in discovery.submissions.items()}
        for s, sub in discovery.submissions.items():
            manifest[s].update({k: sub.info.get(k, "") for k in ("sid", "login", "section",
                                                                   "email")})
        outcome.grades = outputs.build_grades(source_nb, settings, out, db_url,
                                              course.course_id, assignment,
                                              results=outcome.results, manifest=manifest)
        writer.set_late(outcome.grades, settings.due)
        outcome.attention = outputs.write_all(outcome.grades, assignment, out, settings,
                                              include_pending=include_pending)
        if in_course:
            outputs.write_formgrader_notebooks(course.root, assignment, out, sorted(found))
        outputs.write_feedback(
            [Grade(k, structure(source_nb), r) for k, r in outcome.selfcheck.items()],
            assignment, check_dir, title=f"{assignment} (self-check)")
    finally:
        if workers is not None:
            workers.close()
        if writer is not None:
            writer.close()
        private_paths.restore()
        shutil.rmtree(tmp_root, ignore_errors=True)

    with open(os.path.join(out, "grades.csv"), newline="", encoding="utf-8") as fh:
        outcome.rows = list(csv.DictReader(fh))
    assert all(r["status"] in STATUSES for r in outcome.rows)
    return outcome


def manual_grades(course_root, assignment, out=None, db_url=None, template=None,
                  import_csv=None, set_=None, comment="", include_pending=False):
    """``coursekit manual``: enter hand-graded scores, then rewrite every output. Returns
    (exit code, lines to print)."""
    from . import manual

    course = CourseDirs(course_root)
    settings = CourseConfig(course.root).assignment(assignment)
    source_path = course.source_notebook(assignment)
    if not os.path.isfile(source_path):
        raise FileNotFoundError(f"no source notebook {source_path}")
    source_nb = nbk.read_source(source_path)
    out, db_url = run_paths(course, assignment, out, db_url)
    if outputs.read_manifest(out) is None:
        raise FileNotFoundError(f"no {os.path.join(out, 'submissions.csv')}: run `coursekit "
                                f"autograde {assignment}` first")
    parts = structure(source_nb)
    if not any(p["kind"] == "manual" for p in parts):
        return 0, [f"{assignment} has no hand-graded part"]
    lines = []
    entries = []
    if import_csv:
        entries += manual.read_csv(import_csv)
    if set_:
        student, part, score = set_
        entries.append(("--set", {"student": student, "part": part, "score": score,
                                  "comment": comment}))
    if entries:
        n = manual.enter(db_url, course.course_id, assignment, assignment, parts, entries)
        lines.append(f"{n} manual score(s) entered in the gradebook")
    grades = outputs.build_grades(source_nb, settings, out, db_url, course.course_id, assignment)
    if template:
        n = manual.write_template(template, grades, os.path.join(out, "results"))
        lines.append(f"{template}: {n} row(s) to fill in (columns score and comment), then "
                     f"`coursekit manual {assignment} --import {template}`")
    _rewrite_outputs(course, settings, source_nb, assignment, out, db_url, grades,
                     include_pending)
    lines.append(f"rewrote grades.csv, totals.csv, canvas.csv and feedback/ in {out}")
    pending = [g for g in grades if g.pending]
    lines.append(f"{len(grades) - len(pending)} of {len(grades)} student(s) complete; "
                 f"{len(pending)} with parts awaiting a manual grade"
                 + (": " + ", ".join(g.student for g in pending[:15]) if pending else "")
                 + (" ..." if len(pending) > 15 else ""))
    return 0, lines


def _rewrite_outputs(course, settings, source_nb, assignment, out, db_url, grades,
                     include_pending):
    """Scores entered with ``coursekit manual`` or in formgrader: every output is rewritten from
    the gradebook (and nbgrader's late penalties follow the totals)."""
    writer = GradebookWriter(db_url, assignment, source_nb, assignment,
                             course_id=course.course_id)
    try:
        writer.set_late(grades, settings.due)
    finally:
        writer.close()
    outputs.write_all(grades, assignment, out, settings, include_pending=include_pending)


def refresh_outputs(course_root, assignment, out=None, db_url=None, include_pending=False):
    """``coursekit report``: re-read the gradebook (manual scores entered in formgrader since
    the last command) and rewrite grades.csv, totals.csv, canvas.csv and the feedback from it,
    as ``coursekit manual ID`` does. Returns (the results folder, the grades), or (the results
    folder, None) when there is nothing to refresh from (no run's ``submissions.csv``)."""
    course = CourseDirs(course_root)
    out, db_url = run_paths(course, assignment, out, db_url)
    source_path = course.source_notebook(assignment)
    if outputs.read_manifest(out) is None or not os.path.isfile(source_path):
        return out, None
    settings = CourseConfig(course.root).assignment(assignment)
    source_nb = nbk.read_source(source_path)
    grades = outputs.build_grades(source_nb, settings, out, db_url, course.course_id, assignment)
    _rewrite_outputs(course, settings, source_nb, assignment, out, db_url, grades,
                     include_pending)
    return out, grades
