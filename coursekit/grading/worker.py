"""Grade one submission, in its own process: ``python -m coursekit.grading.worker JOB.json``.

The parent (:mod:`coursekit.grading.runner`) starts one worker per submission and enforces a
hard wall-clock limit on it; the worker enforces the per-cell and per-submission limits itself,
and writes its result JSON after every test cell, so that a worker killed at the hard limit still
leaves the scores of the tasks it finished.

Scoring (all-or-nothing per test cell, decided here, never by the notebook): a task scores its
points when the kernel's ``execute_reply`` for the test cell is ``ok`` *and* the last line that
the worker appended to the test cell ran: it sets a variable whose random name is new for every
cell and submission and never on disk, which the worker reads back through the reply's
``user_expressions`` (the shell channel, so lost output cannot hide it). An answer cell that
swallows exceptions (a custom IPython exception handler, a patched reply, a muted
``sys.stdout``) therefore cannot make a failing test cell look like a passing one. Output on
stderr (warnings) does not cost points, unlike plain nbgrader.
"""

import sys

if __name__ == "__main__":
    # jsonschema builds a grammar for RFC 3987 IRIs when this optional module is importable
    # (1.5 s per process); nbformat never validates that format, so the worker skips it.
    sys.modules.setdefault("rfc3987_syntax", None)

import ast  # noqa: E402
import asyncio  # noqa: E402
import hashlib  # noqa: E402
import html  # noqa: E402
import json
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import time

import nbformat
import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import channel_socket_types
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from . import notebook as nbk
from . import sandbox

MAX_MESSAGE_BYTES = 256 * 1024 * 1024  # a larger kernel message is dropped by ZeroMQ
STDOUT_KEEP_CHARS = 20_000            # stream text kept per cell in the feedback
INTERRUPT_AFTER_BYTES = 64 * 1024 * 1024  # output beyond this interrupts the running cell


class _CappedClient(AsyncKernelClient):
    """A kernel client whose sockets refuse oversized messages (a 1 GB print never reaches us)."""

    def _create_connected_socket(self, channel, identity=None):
        sock = self.context.socket(channel_socket_types[channel])
        sock.linger = 1000
        sock.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        # The kernel binds its sockets a moment after we connect: retry every 10 ms, not 100.
        sock.setsockopt(zmq.RECONNECT_IVL, 10)
        if identity:
            sock.identity = identity
        sock.connect(self._make_url(channel))
        return sock

    async def wait_for_ready(self, timeout=None):
        """jupyter_client's check (a kernel_info reply, then one IOPub message so that IOPub is
        known to be connected), without its final 0.2 s of waiting for IOPub to fall silent:
        messages left over from the handshake belong to no cell and nbclient ignores them."""
        deadline = time.monotonic() + (timeout if timeout is not None else 60)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except queue.Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:
                    await self.iopub_channel.get_msg(timeout=0.2)
                except queue.Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(msg)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class SandboxKernelManager(AsyncKernelManager):
    """Starts ``ipykernel`` through :mod:`coursekit.grading.sandbox` with the job's limits.

    Either by ``exec`` (the launcher command below) or, when the worker has a fork server, as a
    child of the fork server that entered the same sandbox (:mod:`coursekit.grading.forkserver`)
    with the same kernel arguments.
    """

    sandbox_args: list = []

    def format_kernel_cmd(self, extra_arguments=None):
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file,
                  *KERNEL_ARGS, *(extra_arguments or [])]
        return [sys.executable, "-m", "coursekit.grading.sandbox", *self.sandbox_args, "--", *kernel]

    def use_fork_server(self, server, log, env, sandbox_kw):
        prov = _fork_provisioner()(kernel_id=self.kernel_id or secrets.token_hex(8),
                                   kernel_spec=self.kernel_spec, parent=self)
        prov.server = server
        prov.spawn_kw = dict(log=log, env=env, sandbox_kw=sandbox_kw)
        self.provisioner = prov


_CACHE = {}  # per worker process: what does not depend on the submission


def _fork_provisioner():
    if "provisioner" not in _CACHE:
        from . import forkserver

        _CACHE["provisioner"] = forkserver.provisioner_class()
    return _CACHE["provisioner"]


def _python3_spec(km):
    """The ``python3`` kernel spec, looked up once per worker (jupyter_client searches every
    kernel directory on disk at each lookup); the sandbox decides what the kernel runs anyway."""
    if "spec" not in _CACHE:
        _CACHE["spec"] = km.kernel_spec_manager.get_kernel_spec("python3")
    return _CACHE["spec"]


def read_source(path):
    """The instructor's notebook, parsed and validated once per worker process (not once per
    submission) while the file stays the same; callers never modify it."""
    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size, st.st_ino)
    cached = _CACHE.get("source")
    if cached is None or cached[0] != key:
        cached = (key, nbk.read_source(path))
        _CACHE["source"] = cached
    return cached[1]


class GradingClient(NotebookClient):
    """nbclient with an output budget and a record of every reply and token seen."""

    def __init__(self, nb, output_limit, **kw):
        super().__init__(nb, **kw)
        self.sentinels = {}  # test cell source -> name of the variable its last line sets
        self.output_limit = output_limit
        self.output_bytes = 0
        self.overflow = False
        self.overflow_cell = None
        self.interrupted_for_output = False
        self.passed = set()
        self.replies = {}
        self.setup_error = None
        self.guard_line = ""   # the namespace restore, run first in every test cell
        self.kernel_cpu = None
        self.last_test = None      # source of the last test cell: also asked for the modules
        self.modules = []          # the coursekit modules the kernel had imported by then
        self.on_cell_executed = self._record_reply

    def _record_reply(self, cell, cell_index, execute_reply):
        content = execute_reply.get("content", {}) if execute_reply else {}
        self.replies[cell_index] = content
        exprs = content.get("user_expressions") or {}
        expr = exprs.get("ck") or {}
        if (expr.get("status") == "ok"
                and (expr.get("data") or {}).get("text/plain") == "True"
                and cell.source in self.sentinels):
            self.passed.add(cell_index)
        cpu = exprs.get("cpu") or {}
        if cpu.get("status") == "ok":
            try:
                self.kernel_cpu = float((cpu.get("data") or {}).get("text/plain"))
            except (TypeError, ValueError):
                pass
        mods = exprs.get("mods") or {}
        if mods.get("status") == "ok":
            try:
                self.modules = json.loads(ast.literal_eval((mods.get("data") or {})["text/plain"]))
            except (KeyError, TypeError, ValueError, SyntaxError):
                pass

    def wrap_execute(self):
        """Send every test cell with the namespace restore as its first line (in the same
        execute_request: nothing runs between the restore and the test, and no extra round
        trip), and ask for the sentinel variable and the kernel's CPU time with it (with the
        last one, also for the coursekit modules the checks imported: the grader key's)."""
        original = self.kc.execute

        def execute(code, *args, **kw):
            name = self.sentinels.get(code)
            if name:
                # The bare name: defined only if the cell's last line ran (nothing to patch).
                kw["user_expressions"] = {"ck": name, "cpu": KERNEL_CPU_EXPR}
                if code == self.last_test:
                    kw["user_expressions"]["mods"] = KERNEL_MODULES_EXPR
                code = self.guard_line + code
            return original(code, *args, **kw)

        self.kc.execute = execute

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if msg.get("msg_type") == "stream":
            size = len(content.get("text", ""))
        else:
            size = len(str(content.get("data", ""))) + len(str(content.get("traceback", "")))
        self.output_bytes += size
        if self.output_bytes > self.output_limit and msg.get("msg_type") != "error":
            if not self.overflow:
                self.overflow = True
                self.overflow_cell = cell_index
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"\n[output truncated: more than {self.output_limit // 1024} kB]\n"))
            if self.output_bytes > INTERRUPT_AFTER_BYTES and not self.interrupted_for_output:
                self.interrupted_for_output = True
                self._interrupt()
            return None
        return super().output(outs, msg, display_id, cell_index)

    async def _async_poll_kernel_alive(self):
        """Cancel the wait for a cell's reply as soon as the kernel process ends (``os._exit``,
        a crash, the memory limit), told by its pidfd, instead of nbclient's check once a
        second: a kernel that died cost its worker up to a second of waiting for nothing."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        fd = None
        try:
            if isinstance(getattr(proc, "pidfd", None), int):
                fd = os.dup(proc.pidfd)  # a kernel from the fork server (not our child)
            elif proc is not None and getattr(proc, "returncode", 0) is None:
                fd = os.pidfd_open(proc.pid)  # our child, not reaped: its pid is its own
        except (OSError, AttributeError):
            fd = None
        if fd is None:
            return await super()._async_poll_kernel_alive()
        loop = asyncio.get_running_loop()
        ended = loop.create_future()
        loop.add_reader(fd, lambda: ended.done() or ended.set_result(None))
        try:
            await ended
        finally:
            loop.remove_reader(fd)
            os.close(fd)
        # What the kernel sent before it ended is already on our sockets: let a reply that is
        # being read finish (a moment, not a second), then give up on it.
        reply = self.task_poll_for_reply
        if reply is not None and not reply.done():
            await asyncio.wait([reply], timeout=0.05)
            if not reply.done():
                reply.cancel()

    def _interrupt(self):
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        if proc is not None:
            try:
                os.kill(proc.pid, signal.SIGINT)
            except OSError:
                pass


# Run before any student code (silently, not in the history): snapshot the namespaces of the
# modules that test cells rely on. Before each test cell the snapshot is put back, so an answer
# cell that rebinds numpy.allclose, numpy.testing.*, math.isclose, a builtin or a coursekit
# function (the checks of coursekit.checks included) is undone before the test runs. Patches made *while*
# a test cell runs (from inside the student's function) are the in-kernel checks' business.
GUARD_SETUP = r"""
def _ck_guard_setup(key):
    import builtins, importlib, sys, types
    names = ["math", "numpy", "numpy.testing", "numpy.linalg", "scipy.special", "coursekit"]
    try:
        import coursekit, pkgutil
        # Every reference module the checks may call (not the heavy plotting/widget packages).
        names += ["coursekit." + m.name for m in pkgutil.iter_modules(coursekit.__path__)
                  if m.name not in ("cli", "grading", "plotting", "widgets", "__main__")]
    except Exception:
        pass
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    roots = ("builtins", "math", "numpy", "scipy", "coursekit")
    snap = []
    for name, mod in list(sys.modules.items()):
        d = getattr(mod, "__dict__", None)
        if name.split(".")[0] in roots and isinstance(d, dict):
            snap.append((name, mod, d, dict(d)))
    modules = sys.modules
    items, get, setitem = dict.items, dict.get, dict.__setitem__
    missing = object()
    import itertools, operator
    map_, all_, is_, repeat_ = map, all, operator.is_, itertools.repeat
    # The same snapshot flattened, for a check that loops in C (no Python call per entry): every
    # module still in sys.modules, every saved entry still the very same object.
    names = [name for name, mod, d, saved in snap]
    mods = [mod for name, mod, d, saved in snap]
    dicts = [d for name, mod, d, saved in snap for _ in saved]
    keys = [k for name, mod, d, saved in snap for k in saved]
    values = [v for name, mod, d, saved in snap for v in saved.values()]

    def restore():
        try:
            if (all_(map_(is_, map_(modules.get, names), mods))
                    and all_(map_(is_, map_(get, dicts, keys, repeat_(missing)), values))):
                return
        except Exception:
            pass
        for name, mod, d, saved in snap:
            try:
                if modules.get(name) is not mod:
                    modules[name] = mod
                for k, v in items(saved):
                    if get(d, k, missing) is not v:
                        setitem(d, k, v)
            except Exception:
                pass

    holder = types.ModuleType(key)
    holder.restore = restore
    sys.modules[key] = holder


_ck_guard_setup(%r)
del _ck_guard_setup
"""
GUARD_RUN = "__import__('sys').modules[%r].restore()"
# Read back with the test cells' replies (the benchmark's breakdown of where CPU goes).
KERNEL_CPU_EXPR = "(lambda u: u.ru_utime + u.ru_stime)(__import__('resource').getrusage(0))"
KERNEL_MODULES_EXPR = ("__import__('json').dumps(sorted(n for n in __import__('sys').modules "
                       "if n == 'coursekit' or n.startswith('coursekit.')))")
# Plain Python tracebacks: IPython's default ("Context") parses the source file of every frame
# with stack_data/executing, about 0.05 s per error and 0.4 s for a kernel's first one, which
# a failing submission pays at every test cell; the plain form shows the same frames and lines.
KERNEL_ARGS = ["--InteractiveShell.xmode=Plain"]


def package_parent():
    """The folder holding the ``coursekit`` package this worker runs (the run's snapshot)."""
    import coursekit

    return os.path.dirname(os.path.dirname(os.path.abspath(coursekit.__file__)))


def kernel_env(private):
    """A minimal environment: nothing of the grader's (database URLs, tokens) reaches the kernel.

    ``PYTHONPATH`` makes the kernel import the same ``coursekit`` as this worker (the one the
    sandbox mounts back), not whatever the interpreter's site-packages point to.
    """
    from . import forkserver

    return forkserver.kernel_env(private, package_parent())


def _copy_mpl_cache(job, dest):
    from . import forkserver

    forkserver.copy_mpl_cache(job.get("mpl_cache"), dest)


def _prepare_private_dir(job, private, uid, student_file):
    os.makedirs(private, mode=0o700)
    for sub in ("tmp", ".mpl", ".ipython", ".jupyter", ".numba"):
        os.makedirs(os.path.join(private, sub), mode=0o700)
    _copy_mpl_cache(job, os.path.join(private, ".mpl"))
    # The student's own notebook and the release's data files; nothing else.
    release_dir = job.get("release_dir")
    if release_dir and os.path.isdir(release_dir):
        for name in os.listdir(release_dir):
            src = os.path.join(release_dir, name)
            if os.path.isfile(src) and not os.path.islink(src) and not name.endswith(".ipynb"):
                shutil.copy(src, os.path.join(private, name))
    if student_file:
        shutil.copy(student_file, os.path.join(private, os.path.basename(job["notebook_name"])))
    if uid:
        for root, dirs, files in os.walk(private):
            for name in dirs + files + [""]:
                os.lchown(os.path.join(root, name) if name else root, uid, uid)


def _add_student_file(job, private, uid, student_file):
    """The student's notebook, into a private folder prepared without it (a prestarted kernel's)."""
    if student_file:
        dest = os.path.join(private, os.path.basename(job["notebook_name"]))
        shutil.copy(student_file, dest)
        if uid:
            os.lchown(dest, uid, uid)


def _related_cells(nb):
    """For each test cell index, the student code cells before it (answers and added cells)."""
    related, pending = {}, []
    for i, cell in enumerate(nb.cells):
        if nbk.is_test_cell(cell):
            related[i] = list(pending)
        elif cell.cell_type == "code" and not nbk.is_locked(cell):
            pending.append(i)
    return related


class Result:
    def __init__(self, job, task_list, sha):
        self.job = job
        self.data = {
            "student": job["student"], "assignment": job["assignment"], "submission_sha256": sha,
            "grader_key": job.get("grader_key", ""), "notes": [], "complete": False,
            "timing": {},
            "tasks": [dict(t, score=0.0, status="timeout", message="not run (time limit)")
                      for t in task_list],
        }

    def set_all(self, status, message):
        for t in self.data["tasks"]:
            t.update(score=0.0, status=status, message=message)

    def set(self, task, **kw):
        for t in self.data["tasks"]:
            if t["task"] == task:
                t.update(kw)

    def save(self, complete=False):
        self.data["complete"] = complete
        path = self.job["result_path"]
        tmp = path + ".part"
        # Saved after every test cell: compact until the final, readable one. json.dumps, not
        # json.dump: only the one-shot form uses the C encoder.
        text = json.dumps(self.data, indent=1 if complete else None)
        with open(tmp, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)


def sandbox_keywords(job, uid, private, connection_file):
    """The kernel's sandbox (keywords of :func:`coursekit.grading.sandbox.enter`), one
    description for both ways of starting it (launcher ``exec`` or fork server)."""
    isolate = bool(uid and job.get("namespaces"))
    return dict(uid=uid, memory_mb=int(job["memory_mb"]), nproc=int(job["nproc"]),
                fsize_mb=int(job["fsize_mb"]), cpu_seconds=int(job["timeout"]) + 30,
                chown=[connection_file], cwd=private, isolate_fs=isolate, no_network=isolate,
                hide=list(job.get("hide", [])) if isolate else [])


def launcher_args(kw):
    """The same sandbox as command-line arguments of ``python -m coursekit.grading.sandbox``."""
    args = ["--memory-mb", str(kw["memory_mb"]), "--nproc", str(kw["nproc"]),
            "--fsize-mb", str(kw["fsize_mb"]), "--cpu-seconds", str(kw["cpu_seconds"]),
            "--cwd", kw["cwd"]]
    args += [a for p in kw["chown"] for a in ("--chown", p)]
    args += sandbox.launcher_args(kw["uid"], kw["isolate_fs"])
    args += [a for p in kw["hide"] for a in ("--hide", p)]
    return args


def _kernel_manager(private):
    km = SandboxKernelManager(transport="ipc", ip=os.path.join(private, "k"),
                              client_class="coursekit.grading.worker._CappedClient")
    km.connection_file = os.path.join(private, "kernel.json")
    km._kernel_spec = _python3_spec(km)
    return km


# What nbclient adds to the kernel's command line (NotebookClient.ipython_hist_file).
NBCLIENT_KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:"]


def _prestart_key(job):
    """Everything a kernel's sandbox and private folder depend on, except the uid."""
    return json.dumps([sandbox_keywords(job, 1, "", ""), job.get("release_dir"),
                       job.get("mpl_cache"), os.path.dirname(job["staging"])], sort_keys=True)


class Prestarted:
    """A sandboxed kernel forked, for the worker's next submission, while the current one runs.

    The pool reserves the next submission's uid ahead (``next_uid``) and gives it to the
    submission this worker grades next; the kernel is forked from the fork server under that
    uid, in the sandbox the current job describes (same limits, hidden paths, namespaces),
    in a private folder of its own holding the release's data files, and it runs no code
    until that submission's own cells: the student's notebook is copied in when its job
    comes. Used once, for that submission; discarded (killed by uid, folder removed) if the
    next job differs in any of these (:func:`_prestart_key`), is not the reserved uid's, or
    never comes.
    """

    def __init__(self, key, uid, home, km, log, server):
        self.key, self.uid, self.home, self.km, self.log = key, uid, home, km, log
        self.server = server
        self.private = os.path.join(home, "sub")

    def usable(self, job, kernels):
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return (kernels is self.server and self.uid and int(job.get("uid") or 0) == self.uid
                and self.key == _prestart_key(job) and proc is not None and proc.poll() is None)

    def discard(self):
        try:
            self.log.close()
            proc = getattr(getattr(self.km, "provisioner", None), "process", None)
            if proc is not None:
                try:
                    proc.kill()
                except OSError:
                    pass
            if self.server is not None and self.server.alive():
                self.server.kill_uid(self.uid)
            else:
                sandbox.kill_uid(self.uid)
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


async def _prestart(job, uid, kernels):
    """Fork the kernel of this worker's next submission (uid ``uid``), like this job's."""
    import tempfile

    home = tempfile.mkdtemp(prefix="next-", dir=os.path.dirname(job["staging"]))
    log = None
    try:
        os.chmod(home, 0o711)
        private = os.path.join(home, "sub")
        _prepare_private_dir(job, private, uid, None)
        km = _kernel_manager(private)
        kw = sandbox_keywords(job, uid, private, km.connection_file)
        km.sandbox_args = launcher_args(kw)
        log_path = os.path.join(home, "kernel.log")
        km.use_fork_server(kernels, log_path, kernel_env(private), kw)
        log = open(log_path, "ab")
        await km.start_kernel(extra_arguments=list(NBCLIENT_KERNEL_ARGS), cwd=private,
                              env=kernel_env(private), stdout=log, stderr=log)
        return Prestarted(_prestart_key(job), uid, home, km, log, kernels)
    except BaseException:
        if log is not None:
            log.close()
        if kernels.alive():
            kernels.kill_uid(uid)
        shutil.rmtree(home, ignore_errors=True)
        raise


async def _execute(job, nb, result, private, uid, kernels=None, prestarted=None, ahead=None):
    test_cells = {i: nbk.grade_id(c) for i, c in enumerate(nb.cells) if nbk.is_test_cell(c)}
    sentinels = {}
    for i in test_cells:
        # Runs only if every statement before it did.
        name = "_ck_" + secrets.token_hex(12)
        nb.cells[i].source = nb.cells[i].source.rstrip() + f"\n{name} = True\n"
        sentinels[nb.cells[i].source] = name
    related = _related_cells(nb)
    missing = set(job.get("_missing", []))

    # The kernel's own stdout/stderr (fd-level writes bypass the messaging) go to a log file
    # outside its reach, capped by RLIMIT_FSIZE.
    log_path = os.path.join(job["staging"], "kernel.log")
    if prestarted is not None:
        # Forked for this submission while the previous one ran (see Prestarted): the same
        # sandbox, under this job's uid, in its own private folder, and no code run in it yet.
        km = prestarted.km
        result.data["kernel_start"] = "fork"
        result.data["kernel_server"] = kernels.pid
        result.data["kernel_prestarted"] = True
    else:
        km = _kernel_manager(private)
        kw = sandbox_keywords(job, uid, private, km.connection_file)
        km.sandbox_args = launcher_args(kw)
        if kernels is not None and kernels.can_fork:
            km.use_fork_server(kernels, log_path, kernel_env(private), kw)
            result.data["kernel_start"] = "fork"
            result.data["kernel_server"] = kernels.pid  # the fork server the kernel came from
        else:
            result.data["kernel_start"] = "exec"
    client = GradingClient(nb, job["output_kb"] * 1024, km=km, kernel_name="python3",
                           timeout=job["cell_timeout"], allow_errors=True, startup_timeout=60,
                           shutdown_kernel="immediate",
                           resources={"metadata": {"path": private}})
    client.sentinels = sentinels
    client.last_test = nb.cells[max(test_cells)].source if test_cells else None
    timed_out, died = set(), None
    student_ran = False  # set once a cell the student controls has been executed
    guard_key = "_ck_" + secrets.token_hex(8)
    deadline = time.monotonic() + job["timeout"]
    log = open(log_path, "ab")
    job["_open_files"].append(log)  # closed by grade(), whatever happens here
    try:
        async with client.async_setup_kernel(cwd=private, env=kernel_env(private),
                                             stdout=log, stderr=log):
            result.data["timing"]["kernel_ready"] = time.monotonic() - T0
            client.guard_line = GUARD_RUN % guard_key + "\n"
            client.wrap_execute()
            await _silent(client, GUARD_SETUP % guard_key, 60)
            result.data["timing"]["guard"] = time.monotonic() - T0
            ahead_task = None
            if (ahead is not None and ahead.get("next_uid") and kernels is not None
                    and kernels.can_fork):
                # The next submission's kernel starts while this one's cells run (the worker
                # mostly waits for them): it is ready when that submission comes.
                ahead_task = asyncio.ensure_future(_prestart(job, int(ahead["next_uid"]), kernels))
            try:
                for i, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    remaining = deadline - time.monotonic()
                    if remaining < 0.5:
                        break
                    client.timeout = max(1, int(min(job["cell_timeout"], remaining)))
                    if not nbk.is_locked(cell):
                        student_ran = True
                    try:
                        if i in test_cells and not await client.km.is_alive():
                            raise DeadKernelError("the kernel died")
                        await client.async_execute_cell(cell, i)
                    except CellTimeoutError:
                        timed_out.add(i)
                        client._interrupt()
                    except DeadKernelError:
                        died = i
                        break
                    reply = client.replies.get(i, {})
                    if (not student_ran and reply.get("status") == "error"
                            and client.setup_error is None):
                        # The instructor's own cells failed before any student code ran: the
                        # grader's environment is broken (missing package or mount), never the
                        # student's fault.
                        client.setup_error = (
                            f"the assignment's cell {nbk.grade_id(cell) or i!r} failed before "
                            f"any student code ran: {reply.get('ename')}: "
                            f"{reply.get('evalue')}")[:300]
                    if i in test_cells:
                        _score(result, i, test_cells[i], cell, client, timed_out, related, missing)
                        result.save()
                if died is None:
                    result.data["timing"]["kernel_cpu"] = client.kernel_cpu
            finally:
                if ahead_task is not None:
                    try:
                        ahead["kernel"] = await ahead_task
                    except Exception:  # noqa: BLE001 - the next job starts its own kernel
                        import traceback

                        traceback.print_exc()
    finally:
        _release(client, km)
    result.data["timing"]["executed"] = time.monotonic() - T0
    result.data["coursekit_modules"] = client.modules
    # Tasks never reached.
    for i, task in test_cells.items():
        if i in client.replies or i in timed_out:
            continue
        if died is not None and i >= died:
            result.set(task, score=0.0, status="kernel_died",
                       message="the kernel stopped (os._exit, crash or memory) before this test ran")
        else:
            result.set(task, score=0.0, status="timeout", message="not run: time limit reached")
    return client


def _release(client, km):
    """Close the submission's ZeroMQ sockets and contexts (its client's and its manager's) and
    the kernel's pidfd. nbclient leaves them open when it does not own the kernel manager: a
    worker kept two contexts per submission it had graded (measured after 20 hw1 submissions:
    77 threads, 1.7 GB of its 4 GB address-space cap, 271 file descriptors; with this, 9
    threads, 0.6 GB and 48, flat)."""
    kc = client.kc
    if kc is not None:
        try:
            kc.stop_channels()
        except Exception:  # noqa: BLE001
            pass
        if getattr(kc, "_created_context", False):
            kc.context.destroy(linger=0)
    try:
        km._close_control_socket()
    except Exception:  # noqa: BLE001
        pass
    if getattr(km, "_created_context", False):
        km.context.destroy(linger=0)
    proc = getattr(getattr(km, "provisioner", None), "process", None)
    if isinstance(getattr(proc, "pidfd", None), int):
        proc._close()  # the kernel is killed by uid next; nothing here signals it again


async def _silent(client, code, timeout):
    """Run grader code in the kernel: no output, no history entry; failures are ignored."""
    try:
        await client.kc.execute_interactive(code, silent=True, store_history=False,
                                            timeout=timeout, output_hook=lambda msg: None)
    except Exception:  # timeout, or the kernel's messages were lost: the test cell decides
        client._interrupt()


# A test's message is kept whole up to this length: a visible test's (the call, the student's value,
# the expected one, then the mistake it names) runs to ~750 characters; a hidden test's to ~300.
MESSAGE_CHARS = 2000


def _score(result, i, task, cell, client, timed_out, related, missing):
    reply = client.replies.get(i, {})
    max_score = float(cell.metadata.nbgrader["points"])
    if i in timed_out:
        result.set(task, score=0.0, status="timeout", message="the test did not finish in time")
        return
    if reply.get("status") == "ok" and i in client.passed:
        result.set(task, score=max_score, status="ok", message="")
        return
    if reply.get("status") == "ok":
        result.set(task, score=0.0, status="tampered",
                   message="the test cell was stopped before its end (exception swallowed?)")
        return
    ename = str(reply.get("ename", "Error"))
    evalue = str(reply.get("evalue", ""))
    message = f"{ename}: {evalue}".strip()[:MESSAGE_CHARS]
    fault = grader_fault(ename, evalue, client.setup_error)
    if fault:
        result.set(task, score=0.0, status="grader_error", message=fault)
        return
    # A failing test is explained by what happened in the student's cells just before it.
    cause = None
    for j in related.get(i, []):
        jr = client.replies.get(j, {})
        if client.overflow_cell == j:
            cause = ("output_limit", "a cell printed too much output and was stopped")
        elif j in timed_out and cause is None:
            cause = ("timeout", "an answer cell did not finish in time")
        elif jr.get("ename") == "MemoryError" and cause is None:
            cause = ("memory", "an answer cell ran out of memory")
    missing_here = [nbk.grade_id(client.nb.cells[j]) for j in related.get(i, [])
                    if nbk.grade_id(client.nb.cells[j]) in missing]
    if ename == "MemoryError":
        status = "memory"
    elif client.interrupted_for_output and client.overflow_cell == i:
        status = "output_limit"
    elif missing_here:
        status = "missing_cell"
        message = "the answer cell was deleted; " + message
    elif cause is not None:
        status = cause[0]
        message = f"{cause[1]}; then {message}"[:MESSAGE_CHARS]
    else:
        status = "failed"
    result.set(task, score=0.0, status=status, message=message)


MODULE_NOT_FOUND_RE = re.compile(r"No module named '([\w.]+)'")


def grader_fault(ename, evalue, setup_error=None):
    """The message to record when a failing test cell is the grader's fault, else None.

    The grader's fault: the assignment's setup failed before any student code ran, or the kernel
    cannot import a module that the grader's own ``coursekit`` package has (a missing package or
    mount). A module that does not exist at all (a student's typo) stays the student's failure.
    """
    if setup_error:
        return setup_error
    if ename in ("ModuleNotFoundError", "ImportError"):
        m = MODULE_NOT_FOUND_RE.search(evalue)
        name = m.group(1) if m else ""
        if (name == "coursekit" or name.startswith("coursekit.")) and _is_grader_module(name):
            return f"the grading kernel cannot import {name} ({ename}): grader setup problem"
    return None


def _is_grader_module(name):
    parts = name.split(".")
    base = os.path.join(package_parent(), *parts)
    return os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py"))


ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
B64_RE = re.compile(r"^[A-Za-z0-9+/=\s]*$")
FEEDBACK_CSS = """body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
pre{white-space:pre-wrap;padding:.5em;margin:.3em 0;border-radius:3px;overflow-x:auto}
.code{background:#f5f5f5;border-left:3px solid #3465a4}.out{background:#fff;border:1px solid #eee}
.err{background:#fdecea;border-left:3px solid #c00}.md{white-space:pre-wrap;margin:1em 0}
.ok{color:#2e7d32}.bad{color:#b00020}.verdict{font-weight:bold}"""


def _feedback(job, nb, result, client):
    """Feedback HTML: the student's cells and outputs, each test cell reduced to its visible code
    and its verdict (no hidden code, no traceback from the checks). Everything is escaped: the
    page contains no HTML or script from the submission. (Rendered here rather than with
    nbconvert, which costs a second per submission.)"""
    esc = html.escape
    tasks = result.data["tasks"]
    by_task = {t["task"]: t for t in tasks}
    total = sum(t["score"] for t in tasks)
    total_max = sum(t["max_score"] for t in tasks)
    parts = [f"<h1>Feedback: {esc(job['assignment'])} &mdash; {esc(job['student'])}</h1>",
             f"<p><strong>Score: {total:g} / {total_max:g}</strong></p>",
             "<table><tr><th>task</th><th>score</th><th>status</th><th>message</th></tr>"]
    for t in tasks:
        parts.append(f"<tr><td>{esc(t['task'])}</td><td>{t['score']:g} / {t['max_score']:g}</td>"
                     f"<td>{esc(t['status'])}</td><td>{esc(t.get('message', ''))}</td></tr>")
    parts.append("</table>")
    if result.data["notes"]:
        parts.append("<p>Notes from the grader:</p><ul>" + "".join(
            f"<li>{esc(n)}</li>" for n in result.data["notes"]) + "</ul>")
    for cell in (nb.cells if nb is not None else []):
        if cell.cell_type == "markdown":
            parts.append(f'<div class="md">{esc(cell.source)}</div>')
            continue
        if nbk.is_test_cell(cell):
            t = by_task.get(nbk.grade_id(cell), {})
            src = nbk.strip_hidden(cell.source).rsplit("\n_ck_", 1)[0]
            ok = t.get("status") == "ok"
            verdict = "passed" if ok else f"{t.get('status')}: {t.get('message', '')}"
            parts.append(f'<pre class="code">{esc(src)}</pre>')
            parts.append(f'<pre class="out verdict {"ok" if ok else "bad"}">[{esc(str(t.get("task")))}] '
                         f'{t.get("score", 0):g} / {t.get("max_score", 0):g} &mdash; {esc(verdict)}</pre>')
            continue
        parts.append(f'<pre class="code">{esc(cell.source)}</pre>')
        for o in _safe_outputs(cell.get("outputs", [])):
            kind = o.get("output_type")
            if kind == "stream":
                parts.append(f'<pre class="out">{esc(o["text"])}</pre>')
            elif kind == "error":
                tb = ANSI_RE.sub("", "\n".join(o.get("traceback", [])))
                parts.append(f'<pre class="err">{esc(tb or (o["ename"] + ": " + o["evalue"]))}</pre>')
            else:
                data = o.get("data", {})
                png = data.get("image/png")
                if isinstance(png, str) and B64_RE.match(png):
                    parts.append(f'<img alt="figure output" src="data:image/png;base64,{png.strip()}">')
                elif "text/plain" in data:
                    parts.append(f'<pre class="out">{esc(str(data["text/plain"]))}</pre>')
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(job['assignment'])}: feedback for {esc(job['student'])}</title>"
            f"<style>{FEEDBACK_CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")
    tmp = job["feedback_path"] + ".part"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(page)
    os.replace(tmp, job["feedback_path"])


def _save_executed(job, nb):
    """The executed notebook for the feedback page (rendered by the parent): the student's cells
    with their outputs (text and PNG only), test cells without their hidden part or outputs.

    Built field by field in nbformat 4.5's shape (string sources, the ids of
    :func:`~coursekit.grading.notebook.build_gradable`, outputs from :func:`_safe_outputs`), so it
    is not run through the JSON-schema validator here (40 ms a submission); the tests validate it.
    """
    path = job.get("executed_path")
    if not path or nb is None:
        return
    cells = []
    for n, cell in enumerate(nb.cells):
        out = {"cell_type": cell.cell_type, "id": cell.get("id") or f"cell-{n}",
               "metadata": {}, "source": cell.source}
        nbg = cell.metadata.get("nbgrader")
        if nbg:
            out["metadata"]["nbgrader"] = dict(nbg)
        if cell.cell_type == "code":
            out["execution_count"] = cell.get("execution_count")
            if nbk.is_test_cell(cell):
                out["source"] = nbk.strip_hidden(cell.source).rsplit("\n_ck_", 1)[0]
                out["outputs"] = []
            else:
                out["outputs"] = _safe_outputs(cell.get("outputs", []))
        cells.append(out)
    doc = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "language": "python",
                                                       "display_name": "Python 3"}},
           "nbformat": 4, "nbformat_minor": 5}
    text = json.dumps(doc)
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _safe_outputs(outputs):
    """Text and PNG only (no HTML or JavaScript from student code), capped in size."""
    out, kept = [], 0
    for o in outputs:
        kind = o.get("output_type")
        if kind == "stream":
            text = str(o.get("text", ""))[: max(0, STDOUT_KEEP_CHARS - kept)]
            kept += len(text)
            if text:
                name = o.get("name") if o.get("name") in ("stdout", "stderr") else "stdout"
                out.append({"output_type": "stream", "name": name, "text": text})
        elif kind in ("execute_result", "display_data"):
            data = {k: v for k, v in o.get("data", {}).items() if k in ("text/plain", "image/png")}
            if "text/plain" in data:
                data["text/plain"] = str(data["text/plain"])[:STDOUT_KEEP_CHARS]
            if not isinstance(data.get("image/png", ""), str):
                del data["image/png"]
            if data:
                out.append({"output_type": "display_data", "data": data, "metadata": {}})
        elif kind == "error":
            tb = [str(line)[:2000] for line in o.get("traceback", [])[-20:]]
            out.append({"output_type": "error", "ename": str(o.get("ename", ""))[:200],
                        "evalue": str(o.get("evalue", ""))[:2000], "traceback": tb})
    return out


def file_sha256(path):
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return ""
    return h.hexdigest()


def grade(job, kernels=None, prestarted=None, ahead=None):
    """Grade the submission described by ``job`` (a dict); returns the result dict.

    ``kernels``: a :class:`coursekit.grading.forkserver.ForkServer` to get the kernel from
    (the long-lived worker of :func:`serve`), else the kernel is started by ``exec`` through the
    sandbox launcher. Either way it runs in the sandbox that ``job`` describes.
    ``prestarted``: a :class:`Prestarted` kernel for this job (used if it fits, else discarded).
    ``ahead``: ``{"next_uid": UID}`` to fork the next job's kernel meanwhile, stored there as
    ``"kernel"``.
    """
    global T0
    T0 = time.monotonic()
    cpu0 = time.process_time()
    job["_open_files"] = []
    uid = int(job.get("uid") or 0)
    private = os.path.join(job["staging"], "sub")
    home = None
    if prestarted is not None:
        if prestarted.usable(job, kernels):
            job["_open_files"].append(prestarted.log)
            private, home = prestarted.private, prestarted.home
            os.replace(os.path.join(home, "kernel.log"), os.path.join(job["staging"], "kernel.log"))
        else:
            prestarted.discard()
            prestarted = None
    source_nb = read_source(job["source"])
    result = Result(job, nbk.tasks(source_nb), job.get("sha256", ""))
    result.save()
    nb = client = None
    try:
        if not job.get("submission"):
            raise nbk.SubmissionError("missing_notebook",
                                      f"no {job['notebook_name']} found for this student")
        student_nb = nbk.read_submission(job["submission"])
        nb, info = nbk.build_gradable(source_nb, student_nb, job["assignment"])
        result.data["notes"] = info["notes"][:20]
        if info["missing"]:
            result.data["notes"].append("answer cells missing: " + ", ".join(info["missing"]))
        job["_missing"] = info["missing"]
        if prestarted is None:
            _prepare_private_dir(job, private, uid, job["submission"])
        else:
            _add_student_file(job, private, uid, job["submission"])
        try:
            client = asyncio.run(_execute(job, nb, result, private, uid, kernels, prestarted,
                                          ahead))
        except Exception as exc:
            for t in result.data["tasks"]:
                if t["message"].startswith("not run"):
                    t.update(status="grader_error", message=f"grader error: {type(exc).__name__}")
            import traceback

            traceback.print_exc()
        if client is not None and client.overflow:
            result.data["notes"].append(f"output truncated after {job['output_kb']} kB")
    except nbk.SubmissionError as exc:
        result.set_all(exc.status, exc.message)
    finally:
        for fh in job.pop("_open_files"):
            fh.close()
        if kernels is not None and kernels.alive():
            kernels.kill_uid(uid)  # forks from the single-threaded fork server
        else:
            sandbox.kill_uid(uid)
        if not job.get("namespaces"):
            sandbox.remove_files_of(uid)
        shutil.rmtree(home or private, ignore_errors=True)
    result.save(complete=True)
    try:
        _save_executed(job, nb)
    except Exception as exc:  # the grades stand without it; the feedback then has no notebook
        result.data["notes"].append(f"executed notebook not saved: {type(exc).__name__}")
    result.data["timing"]["worker_cpu"] = time.process_time() - cpu0
    result.save(complete=True)
    if not job.get("feedback_path"):
        return result.data
    try:
        _feedback(job, nb, result, client)
        result.data["timing"]["feedback"] = time.monotonic() - T0
        result.data["timing"]["worker_cpu"] = time.process_time() - cpu0
        result.save(complete=True)
    except Exception as exc:  # feedback is a courtesy: never lose the grades for it
        result.data["notes"].append(f"feedback not written: {type(exc).__name__}")
        result.save(complete=True)
    return result.data


T0 = time.monotonic()


def _cap_memory(mb):
    # The grader itself must survive a kernel that floods it: cap its own address space.
    import resource

    cap = int(mb) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


class _KernelSource:
    """The serving worker's fork server: the run's shared one (``shared``, a
    :class:`~coursekit.grading.forkserver.ForkServerClient`) while it lives and can fork, else
    its own, started on first use, restarted if it died or if a job asks for other preloaded
    modules; ``None`` (exec every kernel) when it cannot fork."""

    def __init__(self, shared=None):
        self.shared = shared
        self.server = None
        self.preload = None
        self.home = None

    def get(self, job):
        from . import forkserver

        if job.get("kernel_start") == "exec":
            return None
        preload = tuple(job.get("preload", ()))
        if self.shared is not None and not preload:
            if self.shared.can_fork and self.shared.alive():
                return self.shared
            print("worker: the shared fork server is gone or cannot fork; this worker starts "
                  "its own", file=sys.stderr)
            self.shared.close()
            self.shared = None
        if self.server is not None and (not self.server.alive() or preload != self.preload):
            self.close()
        if self.server is None:
            import tempfile

            # The fork server's own HOME, TMPDIR, ... (root only, 0700): never a kernel's.
            self.home = tempfile.mkdtemp(prefix="coursekit-forkserver-")
            for sub in ("tmp", ".mpl", ".ipython", ".jupyter", ".numba"):
                os.makedirs(os.path.join(self.home, sub), mode=0o700)
            _copy_mpl_cache(job, os.path.join(self.home, ".mpl"))
            try:
                self.server = forkserver.ForkServer(
                    kernel_env(self.home), preload,
                    log_path=os.path.join(self.home, "forkserver.log"))
            except forkserver.ForkServerError as exc:
                print(f"worker: no fork server ({exc}); kernels start by exec", file=sys.stderr)
                self.server = None
                return None
            self.preload = preload
            if not self.server.can_fork:
                print(f"worker: the fork server has {self.server.threads} threads after its "
                      "imports, so it does not fork; kernels start by exec", file=sys.stderr)
            if self.server.failed_imports:
                print("worker: fork server could not preload: "
                      + "; ".join(self.server.failed_imports), file=sys.stderr)
        return self.server if self.server.can_fork else None

    def close(self):
        if self.shared is not None:
            self.shared.close()
            self.shared = None
        if self.server is not None:
            self.server.close()
            self.server = None
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None


def _watch_parent(current):
    """If the process that feeds this worker dies (a Dask worker killed, the instructor's
    process killed), stop at once: kill the kernel's uid and exit (the fork server and its
    kernels die with this process)."""
    import threading

    parent = os.getppid()

    def watch():
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                sandbox.kill_uid(current.get("uid"))
                os._exit(3)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _skip_header_dates():
    """jupyter_client parses the ISO dates in every message header with dateutil (a fifth of this
    worker's CPU per submission); nbclient accepts them as strings and nothing here reads them."""
    from jupyter_client import session

    session.extract_dates = lambda obj: obj


def serve(jobs_in, replies_out, kernels_fd=None):
    """The long-lived worker of :class:`coursekit.grading.pool.WorkerPool`.

    Reads one job file path per line from ``jobs_in``, grades it (kernels from this worker's fork
    server), and answers one JSON line ``{"job": PATH, "ok": BOOL}`` on ``replies_out`` once the
    result and feedback files are written. While a job runs, this process's stdout and stderr go
    to the job's ``worker.log``. Stops at end of input. ``kernels_fd``: this worker's socket to
    the run's shared fork server (:meth:`coursekit.grading.forkserver.ForkServer.attach`).
    """
    _skip_header_dates()
    shared = None
    if kernels_fd is not None:
        import socket

        from . import forkserver

        try:
            shared = forkserver.ForkServerClient(socket.socket(fileno=kernels_fd))
        except (OSError, forkserver.ForkServerError) as exc:
            print(f"worker: no shared fork server ({exc}); this worker starts its own",
                  file=sys.stderr)
    source = _KernelSource(shared)
    saved = os.dup(1), os.dup(2)
    current = {}
    ahead = {}  # the kernel forked for the next job (Prestarted), under the uid reserved for it
    _watch_parent(current)
    try:
        for line in jobs_in:
            path = line.strip()
            if not path:
                continue
            next_uid = None
            if path.startswith("{"):  # {"job": PATH, "next_uid": UID}
                try:
                    msg = json.loads(path)
                    path, next_uid = str(msg["job"]), msg.get("next_uid")
                except (ValueError, KeyError, TypeError):
                    pass
            ok = False
            log = None
            try:
                with open(path) as fh:
                    job = json.load(fh)
                log = os.open(os.path.join(job["staging"], "worker.log"),
                              os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(log, 1)
                os.dup2(log, 2)
                current["uid"] = job.get("uid")
                ahead["next_uid"] = next_uid
                grade(job, kernels=source.get(job), prestarted=ahead.pop("kernel", None),
                      ahead=ahead)
                ok = True
                current.clear()
            except Exception:  # noqa: BLE001 - the parent records a grader_error for this job
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
                if log is not None:
                    os.close(log)
            replies_out.write(json.dumps({"job": path, "ok": ok}) + "\n")
            replies_out.flush()
    finally:
        if ahead.get("kernel") is not None:
            ahead.pop("kernel").discard()
        source.close()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        # Replies go on the original stdout; anything printed goes to stderr instead.
        replies = os.fdopen(os.dup(1), "w")
        os.dup2(2, 1)
        _cap_memory(int(argv[1]) if len(argv) > 1 else 4096)
        kernels_fd = int(argv[3]) if argv[2:3] == ["--kernels"] else None
        serve(sys.stdin, replies, kernels_fd)
        return 0
    with open(argv[0]) as fh:
        job = json.load(fh)
    _cap_memory(job.get("worker_memory_mb", 4096))
    grade(job)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
