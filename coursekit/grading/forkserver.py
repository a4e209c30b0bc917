"""A fork server for sandboxed kernels: the start-up that does not depend on the student, paid once.

Starting a fresh IPython kernel for every submission costs about 1.6 s of CPU before the
student's first cell runs: a new interpreter, then importing IPython, ipykernel, numpy, scipy
and coursekit (numba included). None of it depends on the student. The fork server pays it once:

* it is a fresh interpreter (``python -m coursekit.grading.forkserver``), started by a grading
  worker with the kernels' minimal environment (so ``/proc/self/environ`` of every kernel holds
  nothing of the grader's), working directory ``/``, no course file, no submission, no job, and
  it imports the kernel's modules (``PRELOAD`` plus what the instructor's notebook imports);
* for each submission it forks. The child -- before any student code exists -- starts a new
  session, closes every inherited file descriptor (the fork server's socket included), enters
  the sandbox with :func:`coursekit.grading.sandbox.enter` exactly as the launcher does (private
  mount and network namespaces, only the interpreter, coursekit and its own empty directory
  visible, resource limits, a fresh uid and no groups), asks to be killed if the fork server
  dies, reseeds NumPy's global generator and then becomes an ordinary ``ipykernel`` on the
  connection file the grading worker wrote;
* it never runs student code itself, and each child is used for one submission only, so
  every submission still gets a fresh kernel process of its own: the children share nothing
  but the read-only state of the fork server at fork time (copy-on-write memory), which holds
  only library modules.

One fork server can serve several grading workers (``coursekit autograde --jobs N`` starts one
for the whole run, :class:`coursekit.grading.pool.WorkerPool`): its owner attaches a worker by
passing it one end of a new socket pair (:meth:`ForkServer.attach`). Requests from the workers
are answered one at a time; when a worker's socket closes (the worker ended, or was killed at
the hard time limit), the fork server kills the kernels it had forked for that worker that are
still running (their uid's processes, then the kernel's process group). It exits when its
owner's socket closes, and its kernels die with it.

The fork server refuses to fork when the preloaded modules started a thread (``fork`` would copy
a lock another thread holds); the worker then starts kernels the slow way, through the sandbox
launcher. Requests travel over a ``SOCK_SEQPACKET`` socket pair created by the grading worker;
the fork server answers each ``spawn`` with the child's pid and a pidfd, through which the worker
watches and signals that kernel (it is not the worker's child).

What differs from a kernel started by ``exec``: Python's hash seed is the fork server's (one per
worker, not one per kernel), and the modules in ``PRELOAD`` are already imported when the first
cell runs (as if the notebook had imported them itself).
"""

import json
import os
import signal
import socket
import sys
import threading

MAX_REQUEST = 1 << 20

# Imported once by the fork server: the kernel itself and what every homework notebook uses.
PRELOAD = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "ipykernel.zmqshell", "ipykernel.iostream",
    "IPython.core.interactiveshell", "IPython.core.oinspect", "IPython.core.completer", "jedi", "matplotlib_inline.backend_inline",
    "numpy", "numpy.testing", "scipy.special", "scipy.linalg", "matplotlib", "matplotlib.pyplot",
    "coursekit", "coursekit.checks", "coursekit.gaussian", "coursekit.mixture",
    "coursekit.kmeans", "coursekit._kmeans_kernels", "coursekit.classifier", "coursekit.datasets",
    # The rest of what the worker's namespace guard imports in every kernel (GUARD_SETUP).
    "coursekit.kmeans_filter", "coursekit._kmeans_filter_kernels", "coursekit._mixture_kernels",
    "coursekit.student_check",
    # What ipykernel and IPython import while a kernel starts, after the fork (measured: the
    # modules a forked kernel has that the fork server had not imported).
    "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.logger",
    "IPython.extensions.storemagic", "sqlite3", "pdb", "faulthandler", "resource", "runpy",
    "tornado.platform.asyncio",
)
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4


def _import_all(names):
    """Import each module; return the names that failed (a missing optional module is not fatal)."""
    import importlib

    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - reported, the kernel imports it itself later
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    return failed


def _threads():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _reap(owned=None):
    """Collect the exited kernels; forget them in ``owned`` (socket -> {pid: uid})."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        for kernels in (owned or {}).values():
            kernels.pop(pid, None)


def _kill_kernels(kernels):
    """Kill the kernels ``{pid: uid}`` still running (not yet reaped, so no pid can be reused)."""
    from . import sandbox

    import time

    pids = list(kernels)
    for pid, uid in list(kernels.items()):
        if uid:
            sandbox.kill_uid(uid)
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass
    kernels.clear()
    # Reap them now (a zombie still counts as a process of its uid), for a second at most: a
    # kernel stuck in the kernel (D state) is reaped by a later _reap.
    deadline = time.monotonic() + 1
    while pids and time.monotonic() < deadline:
        for pid in list(pids):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                pids.remove(pid)
        if pids:
            time.sleep(0.01)


def _fresh_process_state():
    """Forget what the preloaded modules derived from the fork server's environment and state."""
    import tempfile

    tempfile.tempdir = None  # recomputed from this kernel's TMPDIR
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()  # the legacy global generator: not the server's
    if "numba" in sys.modules:
        # NUMBA_CACHE_DIR and the rest, for the student's own @njit functions (coursekit's were
        # compiled without a cache: the fork server has nowhere to keep one, see ForkServer).
        sys.modules["numba"].core.config.reload_config()


def _child(req):
    """In the forked child: sandbox, then run ipykernel on the worker's connection file."""
    code = 1
    try:
        os.setsid()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        log = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, os.sysconf("SC_OPEN_MAX") if os.sysconf("SC_OPEN_MAX") > 0 else 4096)
        from . import sandbox

        kw = dict(req["sandbox"])
        if kw.get("isolate_fs"):
            # This process's own interpreter and coursekit: the ones its modules came from.
            kw["reveal"] = sandbox.interpreter_paths()
        sandbox.enter(**kw)
        import ctypes

        libc = ctypes.CDLL(None)
        # After the uid change (which clears it): die with the fork server, never outlive it.
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        # The uid change also made this process non-dumpable (its /proc/self owned by root); an
        # exec'd kernel is dumpable again, so is this one (core dumps stay off: RLIMIT_CORE 0).
        libc.prctl(PR_SET_DUMPABLE, 1)
        if os.getppid() != req["server_pid"]:
            os._exit(1)
        os.environ.clear()
        os.environ.update(req["env"])
        _fresh_process_state()
        import gc

        gc.enable()
        argv = ["ipykernel_launcher", *req["kernel_args"]]
        sys.argv = argv
        if sys.path and sys.path[0] in ("", "/"):
            del sys.path[0]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv[1:])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - the worker sees a dead kernel; the log says why
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:  # noqa: BLE001
            pass
        os._exit(code)


def _serve(owner, fork_ok, hello):
    """Answer the requests of ``owner`` (the socket the fork server was started with) and of the
    workers attached through it, until ``owner`` closes."""
    import selectors

    from . import sandbox

    sel = selectors.DefaultSelector()
    sel.register(owner, selectors.EVENT_READ)
    owned = {owner: {}}  # socket -> {pid: uid} of the kernels forked for it and not yet reaped
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            try:
                data, fds, _flags, _addr = socket.recv_fds(sock, MAX_REQUEST, 1)
            except OSError:
                data, fds = b"", []
            _reap(owned)
            if not data:
                for fd in fds:
                    os.close(fd)
                _kill_kernels(owned.pop(sock))
                sel.unregister(sock)
                if sock is owner:
                    return  # the owner is gone: so is this fork server (and, with it, every kernel)
                sock.close()  # a worker is gone: its kernels went with it
                continue
            try:
                _answer(sock, json.loads(data), fds, fork_ok, hello, owner, owned, sel, sandbox)
            except (OSError, ValueError, TypeError, KeyError):
                # A reply that cannot be sent (the worker died meanwhile: its socket reports the
                # end next) or a malformed request: never the end of the other workers' kernels.
                for fd in fds:
                    try:
                        os.close(fd)
                    except OSError:
                        pass


def _answer(sock, req, fds, fork_ok, hello, owner, owned, sel, sandbox):
    import selectors

    op = req.get("op")
    if op == "attach":
        if sock is not owner or len(fds) != 1:
            while fds:
                os.close(fds.pop())
            sock.send(json.dumps({"error": "attach: only the owner attaches, one socket"}).encode())
            return
        client = socket.socket(fileno=fds.pop())
        owned[client] = {}
        sel.register(client, selectors.EVENT_READ)
        client.send(json.dumps(hello).encode())
        sock.send(b'{"ok": true}')
        return
    while fds:
        os.close(fds.pop())
    if op == "spawn":
        if not fork_ok:
            sock.send(json.dumps({"error": "this fork server does not fork"}).encode())
            return
        req["server_pid"] = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child (covered by every grading test)
            _child(req)
        owned[sock][pid] = int(req.get("sandbox", {}).get("uid") or 0)
        try:
            pidfd = os.pidfd_open(pid)
        except OSError as exc:
            os.kill(pid, signal.SIGKILL)
            sock.send(json.dumps({"error": f"pidfd_open: {exc}"}).encode())
            return
        try:
            socket.send_fds(sock, [json.dumps({"pid": pid}).encode()], [pidfd])
        finally:
            os.close(pidfd)
    elif op == "kill_uid":
        sandbox.kill_uid(int(req["uid"]))
        _reap(owned)
        sock.send(b'{"ok": true}')
    else:
        sock.send(json.dumps({"error": f"unknown request {op!r}"}).encode())


def main(argv=None):
    import argparse

    p = argparse.ArgumentParser(prog="python -m coursekit.grading.forkserver")
    p.add_argument("--fd", type=int, required=True, help="the SOCK_SEQPACKET socket to serve")
    p.add_argument("--preload", default="", help="extra modules to import, comma-separated")
    a = p.parse_args(argv)
    sock = socket.socket(fileno=a.fd)
    import ctypes

    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the worker
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # never import from the working directory
    names = list(PRELOAD) + [m for m in a.preload.split(",") if m]
    import gc

    # The preloaded objects go to the collector's permanent generation: a kernel's collections
    # then never walk (and so never copy, page by page) the fork server's memory.
    gc.disable()
    failed = _import_all(names)
    gc.freeze()
    threads = _threads()
    fork_ok = threads == 1 and hasattr(os, "pidfd_open")
    hello = {"pid": os.getpid(), "fork": fork_ok, "threads": threads, "failed": failed}
    sock.send(json.dumps(hello).encode())
    _serve(sock, fork_ok, hello)
    return 0


class ForkServerError(RuntimeError):
    pass


def kernel_env(private, pythonpath):
    """The kernels' (and the fork server's) minimal environment, rooted at ``private``: nothing
    of the grader's (database URLs, tokens); ``pythonpath`` holds the run's ``coursekit``."""
    d = lambda *p: os.path.join(private, *p)  # noqa: E731
    return {
        "PYTHONPATH": pythonpath,
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": private, "TMPDIR": d("tmp"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": d(".mpl"), "IPYTHONDIR": d(".ipython"),
        "JUPYTER_CONFIG_DIR": d(".jupyter"), "JUPYTER_DATA_DIR": d(".jupyter", "data"),
        "JUPYTER_RUNTIME_DIR": d(".jupyter", "runtime"), "NUMBA_CACHE_DIR": d(".numba"),
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONNOUSERSITE": "1",
    }


def copy_mpl_cache(mpl_cache, dest):
    """The grader's pre-built matplotlib font list (no student data in it): importing matplotlib
    with an empty MPLCONFIGDIR rebuilds it, a second of CPU for every kernel or fork server."""
    import shutil

    if mpl_cache and os.path.isdir(mpl_cache):
        for name in os.listdir(mpl_cache):
            if name.endswith(".json"):
                shutil.copy(os.path.join(mpl_cache, name), os.path.join(dest, name))


def start_shared(pythonpath, mpl_cache=None):
    """A fork server for all the grading workers of a run: ``(server, home)``, ``home`` being its
    own private folder (HOME, TMPDIR, ...; the caller removes it after ``server.close()``)."""
    import shutil
    import tempfile

    home = tempfile.mkdtemp(prefix="coursekit-forkserver-")  # 0700: never a kernel's
    for sub in ("tmp", ".mpl", ".ipython", ".jupyter", ".numba"):
        os.makedirs(os.path.join(home, sub), mode=0o700)
    copy_mpl_cache(mpl_cache, os.path.join(home, ".mpl"))
    try:
        # Not waited for: the workers start (and import) while it imports.
        server = ForkServer(kernel_env(home, pythonpath),
                            log_path=os.path.join(home, "forkserver.log"), wait=False)
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise
    return server, home


class ForkedKernel:
    """What :class:`subprocess.Popen` offers jupyter_client, for a kernel that is not our child.

    Watched and signalled through a pidfd, so a recycled pid can never be confused with it.
    The exit status belongs to the fork server (its parent); here an exited kernel reports -1.
    """

    def __init__(self, pid, pidfd):
        self.pid = pid
        self.pidfd = pidfd
        self.returncode = None
        self.stdin = self.stdout = self.stderr = None

    def _ended(self, timeout):
        # poll(), not select(): a pidfd numbered 1024 or more is out of select()'s range.
        import select

        p = select.poll()
        p.register(self.pidfd, select.POLLIN)
        return bool(p.poll(None if timeout is None else max(0, timeout) * 1000))

    def poll(self):
        if self.returncode is None and self._ended(0):
            self.returncode = -1
            self._close()
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            if not self._ended(timeout):
                import subprocess

                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            self.poll()
        return self.returncode

    def send_signal(self, sig):
        if self.returncode is None:
            signal.pidfd_send_signal(self.pidfd, sig)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def _close(self):
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None

    def __del__(self):
        self._close()


def provisioner_class():
    """A jupyter_client provisioner that gets its kernel from a :class:`ForkServer`."""
    from jupyter_client.provisioning import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        server = None      # the ForkServer
        spawn_kw = None    # log, env, sandbox keywords

        async def launch_kernel(self, cmd, **kwargs):
            # The arguments jupyter_client and nbclient meant for ipykernel (connection file,
            # in-memory history): the same kernel command line as the launcher path.
            args = cmd[cmd.index("ipykernel_launcher") + 1:]
            pid, pidfd = self.server.spawn(args, **self.spawn_kw)
            self.process = ForkedKernel(pid, pidfd)
            self.pid = self.pgid = pid  # the child called setsid(): its own process group
            self.cwd = kwargs.get("cwd")
            return self.connection_info

    return ForkProvisioner


class _Requests:
    """Requests to a fork server over ``self.sock`` (one at a time: ``self._lock``)."""

    _info = None

    def _hello(self, hello):
        self._info = hello

    def _settled(self):
        """The fork server's hello (read now if it was not waited for)."""
        return self._info

    @property
    def can_fork(self):
        return bool(self._settled()["fork"])

    @property
    def failed_imports(self):
        return self._settled()["failed"]

    @property
    def threads(self):
        return self._settled()["threads"]

    @property
    def pid(self):
        return self._settled()["pid"]

    def spawn(self, kernel_args, log, env, sandbox_kw):
        """Fork a sandboxed kernel running ``ipykernel_launcher KERNEL_ARGS``; return
        ``(pid, pidfd)``. ``log`` receives its stdout and stderr; ``env`` is its environment;
        ``sandbox_kw`` the keywords of :func:`coursekit.grading.sandbox.enter` (``reveal`` is
        computed by the child: the interpreter and coursekit it runs)."""
        req = {"op": "spawn", "kernel_args": list(kernel_args), "log": log, "env": env,
               "sandbox": sandbox_kw}
        with self._lock:
            self._drain()
            self.sock.send(json.dumps(req).encode())
            msg, fds, _flags, _addr = socket.recv_fds(self.sock, MAX_REQUEST, 1)
        if not msg:
            raise ForkServerError("the fork server exited")
        reply = json.loads(msg)
        if "error" in reply:
            for fd in fds:
                os.close(fd)
            raise ForkServerError(reply["error"])
        return reply["pid"], fds[0]

    def _drain(self):
        """Read the replies not waited for (the owner's: see :class:`ForkServer`)."""

    def kill_uid(self, uid):
        with self._lock:
            self._drain()
            self.sock.send(json.dumps({"op": "kill_uid", "uid": int(uid)}).encode())
            if not self.sock.recv(MAX_REQUEST):
                raise ForkServerError("the fork server exited")


class ForkServerClient(_Requests):
    """A grading worker's handle on a fork server that another process owns and attached it to
    (the socket it was given by :meth:`ForkServer.attach`)."""

    def __init__(self, sock, timeout=300):
        import threading

        self._lock = threading.Lock()
        self.sock = sock
        self.sock.settimeout(timeout)
        try:
            hello = json.loads(self.sock.recv(MAX_REQUEST) or b"null")
        except (OSError, ValueError) as exc:
            self.sock.close()
            raise ForkServerError(f"no answer from the shared fork server: {exc}") from exc
        if not hello:
            self.sock.close()
            raise ForkServerError("the shared fork server is gone")
        self._hello(hello)

    def alive(self):
        """False once the fork server has closed this socket (between requests it says nothing)."""
        import select

        try:
            return not select.select([self.sock], [], [], 0)[0]
        except (OSError, ValueError):
            return False

    def close(self):
        self.sock.close()


class ForkServer(_Requests):
    """The handle on a fork server this process started and owns (it ends with :meth:`close`,
    or when this process dies); thread-safe. Its owner can attach workers (:meth:`attach`).

    With ``wait=False`` the constructor returns as soon as the fork server is started, and
    :meth:`attach` with ``wait=False`` hands out a worker's socket at once: the fork server
    imports its modules meanwhile, while the workers import theirs; each worker waits for the
    fork server's hello on its own socket. Their replies here are read when this handle next
    needs the fork server (its hello, a request of its own), or not at all.
    """

    def __init__(self, env, preload=(), log_path=None, timeout=300, wait=True):
        import subprocess
        import threading

        self._lock = threading.Lock()
        self._unread = 1  # the hello
        self._failure = None
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock = parent
        log = open(log_path or os.devnull, "ab")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "coursekit.grading.forkserver", "--fd", str(child.fileno()),
                 "--preload", ",".join(preload)],
                pass_fds=[child.fileno()], env=env, cwd="/", stdin=subprocess.DEVNULL,
                stdout=log, stderr=log, start_new_session=True)
        finally:
            child.close()
            log.close()
        self.sock.settimeout(timeout)
        if wait:
            try:
                self._settled()
            except ForkServerError:
                self.close()
                raise

    def _drain(self):
        while self._unread:
            try:
                reply = json.loads(self.sock.recv(MAX_REQUEST) or b"null")
            except (OSError, ValueError) as exc:
                self._failure = f"the fork server did not start: {exc}"
                reply = None
            if not reply:
                self._failure = self._failure or "the fork server exited (see its log)"
                self._unread = 0
                raise ForkServerError(self._failure)
            if self._info is None:
                self._hello(reply)
            self._unread -= 1
        if self._failure:
            raise ForkServerError(self._failure)

    def _settled(self):
        if self._info is None:
            with self._lock:
                self._drain()
        return self._info

    def attach(self, wait=True):
        """A new socket for one grading worker (pass it to the worker, then close it here): the
        worker's requests on it are answered like this process's, and the kernels forked for it
        are killed when it closes. Its first message is the fork server's hello. ``wait=False``:
        without waiting for the fork server to take it (a worker whose socket it refused sees
        the socket closed, as if the fork server were gone)."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with self._lock:
                if wait:
                    self._drain()
                socket.send_fds(self.sock, [b'{"op": "attach"}'], [theirs.fileno()])
                if wait:
                    reply = json.loads(self.sock.recv(MAX_REQUEST) or b"null")
                else:
                    self._unread += 1
                    reply = {"ok": True}
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        if not reply or "error" in reply:
            mine.close()
            raise ForkServerError(f"attach: {reply and reply.get('error') or 'the fork server exited'}")
        return mine

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        try:
            self.sock.close()
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
