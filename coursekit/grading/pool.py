"""A pool of long-lived grading workers, each with its fork server of sandboxed kernels.

One worker process per parallel job (``--jobs N``): ``python -m coursekit.grading.worker
--serve``. A worker grades one submission at a time, for as many submissions as it is given,
and gets each submission's kernel from a fork server (:mod:`coursekit.grading.forkserver`):
a fresh process per submission, forked from an interpreter that has already imported
ipykernel, NumPy, SciPy and coursekit, which then enters the sandbox (its own uid, mount and
network namespaces, limits) before any student code exists. So the per-submission price of a
new interpreter, of those imports and of the worker's own start-up is paid once per worker.

With ``shared_kernels`` (the local ``coursekit autograde``), the pool starts ONE fork server for
all its workers and attaches each worker to it (a socket of its own; the fork server kills a
worker's kernels when that worker goes): its imports are paid once per run, not once per job.
A worker whose shared fork server is gone starts its own. Without it (the Dask workers), each
worker starts its own fork server.

The pool keeps the guarantees of one process per submission where they matter:

* the hard wall-clock limit: a worker that does not answer within ``timeout + margin`` is
  killed with its whole process group (its own fork server and kernels die with it: they ask
  the kernel for ``SIGKILL`` when their parent dies; the shared fork server kills the kernels
  it forked for that worker when the worker's socket closes), and the next submission gets a
  new worker;
* a worker that dies (crash, out of memory) affects only the submission it was grading;
* workers are replaced after ``max_jobs`` submissions, so that nothing accumulates in them.

The local path (:func:`coursekit.grading.runner.autograde`) and every Dask worker
(:mod:`coursekit.grading.dask_executor`) grade through a pool, so both give the same results.
"""

import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time

WORKER_MEMORY_MB = 4096


class _Worker:
    """One serving worker process (used by one thread at a time)."""

    def __init__(self, env, cwd, log_path, memory_mb, kernels=None):
        self.env, self.cwd, self.log_path, self.memory_mb = env, cwd, log_path, memory_mb
        self.kernels = kernels  # the pool's shared ForkServer, or None
        self.proc = None
        self.jobs = 0
        self.next_uid = None  # reserved for this worker's next job (its kernel may be forked)

    def _start(self):
        cmd = [sys.executable, "-m", "coursekit.grading.worker", "--serve", str(self.memory_mb)]
        sock = None
        if self.kernels is not None and self.kernels.alive():
            from .forkserver import ForkServerError

            try:
                sock = self.kernels.attach(wait=False)
                cmd += ["--kernels", str(sock.fileno())]
            except (OSError, ForkServerError):
                sock = None  # the worker starts its own fork server
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=self.env,
                cwd=self.cwd, start_new_session=True,
                pass_fds=[sock.fileno()] if sock is not None else ())
        finally:
            log.close()
            if sock is not None:
                sock.close()  # the worker's copy is the one that counts
        self.jobs = 0
        self.next_uid = None

    def _line(self, job_path, job, fresh=False):
        """The job's line for the worker; with ``job`` (its dict, written at ``job_path``), the
        job takes the uid reserved for this worker's next job, whose kernel the worker may have
        forked already (``fresh``: a new uid instead), and a uid is reserved for the job after
        it."""
        if job is None or not job.get("uid"):
            return job_path.encode() + b"\n"
        from . import sandbox

        uid = sandbox.new_uid() if fresh else self.next_uid
        if uid is not None and job["uid"] != uid:
            job["uid"] = uid
            fd = os.open(job_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "w") as fh:
                json.dump(job, fh)
        self.next_uid = sandbox.new_uid()
        return json.dumps({"job": job_path, "next_uid": self.next_uid}).encode() + b"\n"

    def run(self, job_path, hard_timeout, job=None):
        """Grade one job; return ``(returncode, killed)`` as a per-job process would."""
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        proc = self.proc  # kill() from another thread (Ctrl-C) may reset self.proc meanwhile
        try:
            proc.stdin.write(self._line(job_path, job))
            proc.stdin.flush()
        except OSError:  # died between two jobs
            self._forget_next()
            self.stop()
            self._start()
            proc = self.proc
            # Not the uid reserved by the dead worker: a kernel it forked under it may linger.
            proc.stdin.write(self._line(job_path, job, fresh=True))
            proc.stdin.flush()
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + hard_timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            try:
                ready = left > 0 and select.select([fd], [], [], left)[0]
                chunk = os.read(fd, 65536) if ready else None
            except (OSError, ValueError):  # the pipe was closed under us (killed)
                chunk = b""
            if chunk is None:
                self.kill()
                return None, True
            if not chunk:  # the worker died while grading
                self._forget_next()
                rc = proc.wait()
                if self.proc is proc:
                    self.proc = None
                return rc if rc else 1, False
            line += chunk
        self.jobs += 1
        try:
            ok = json.loads(line).get("ok")
        except ValueError:
            ok = False
        return (0 if ok else 1), False

    def _forget_next(self):
        """The worker is gone or going: kill what it may have forked under the reserved uid."""
        if self.next_uid is not None:
            from . import sandbox

            sandbox.kill_uid(self.next_uid)
            self.next_uid = None

    def kill(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.proc.wait()
        self._close_pipes()
        self.proc = None
        self._forget_next()

    def stop(self, timeout=10):
        """End the worker after its current job (end of input), killing it if it lingers."""
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        self._close_pipes()
        self.proc = None

    def _close_pipes(self):
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except (OSError, ValueError):
                pass


def _package_parent():
    import coursekit

    return os.path.dirname(os.path.dirname(os.path.abspath(coursekit.__file__)))


class WorkerPool:
    """``size`` serving workers; :meth:`run` is called from up to ``size`` threads at once.

    Parameters
    ----------
    size : int
        Number of worker processes (submissions graded at the same time).
    env : dict, optional
        The workers' environment (default: this process's).
    cwd : str, optional
        The workers' working directory; its folder must not hold a ``coursekit`` package other
        than the one the run grades with (``python -m`` puts it first on ``sys.path``).
    log_dir : str, optional
        Where each worker's log goes between jobs (``worker-K.log``); during a job the worker
        writes to the job's own ``worker.log``.
    max_jobs : int
        Submissions a worker grades before it is replaced by a fresh one.
    shared_kernels : bool
        One fork server for all the workers (started here, so in the calling thread: it and its
        kernels die when that thread's process ends), instead of one per worker.
    mpl_cache : str, optional
        matplotlib's cache folder, for the shared fork server's font list.
    """

    def __init__(self, size, env=None, cwd=None, log_dir=None, max_jobs=200,
                 memory_mb=WORKER_MEMORY_MB, shared_kernels=False, mpl_cache=None):
        size = max(1, int(size))
        env = dict(os.environ if env is None else env, PYDEVD_DISABLE_FILE_VALIDATION="1")
        self._idle = queue.LifoQueue()
        self._workers = []
        self.max_jobs = max_jobs
        self._lock = threading.Lock()
        self._closed = False
        self.kernels = self._kernel_home = None
        if shared_kernels:
            from . import forkserver

            try:
                self.kernels, self._kernel_home = forkserver.start_shared(
                    env.get("PYTHONPATH") or _package_parent(), mpl_cache)
            except forkserver.ForkServerError:
                self.kernels = None  # every worker starts its own
        for k in range(size):
            log = os.path.join(log_dir, f"worker-{k}.log") if log_dir else os.devnull
            w = _Worker(env, cwd or "/", log, memory_mb, self.kernels)
            self._workers.append(w)
            self._idle.put(w)
        if self.kernels is not None:
            # Started now, not at their first job: their imports overlap the fork server's
            # (which they wait for, each on its own socket, while this process goes on).
            try:
                for w in self._workers:
                    w._start()
            except BaseException:
                self.kill()
                raise

    def run(self, job_path, hard_timeout, job=None):
        """Grade the job in ``job_path`` (the worker writes its result and feedback files);
        return ``(returncode, killed)``: 0 when the worker finished the job, else its exit code
        or 1; ``killed`` when it overran ``hard_timeout`` seconds and was killed.

        ``job``: the job's dict. Then its uid may be replaced (in the dict and in the file) by
        the one this worker reserved for its next job in the previous one, whose sandboxed
        kernel the worker forked while that one ran (:class:`coursekit.grading.worker.Prestarted`).
        """
        w = self._idle.get()
        try:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            rc, killed = w.run(job_path, hard_timeout, job)
            if w.proc is not None and w.jobs >= self.max_jobs:
                w.stop()
            return rc, killed
        finally:
            self._idle.put(w)

    def close(self):
        """Stop every worker (waits for the jobs in progress)."""
        self._closed = True
        for w in self._workers:
            w.stop()
        self._close_kernels()

    def kill(self):
        """Kill every worker now (their fork servers and kernels die with them)."""
        self._closed = True
        for w in self._workers:
            w.kill()
        self._close_kernels()

    def _close_kernels(self):
        if self.kernels is not None:
            self.kernels.close()  # the shared fork server ends; its kernels die with it
            self.kernels = None
        if self._kernel_home:
            import shutil

            shutil.rmtree(self._kernel_home, ignore_errors=True)
            self._kernel_home = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.close()
        else:
            self.kill()
