"""The kernel sandbox: resource limits, an unprivileged user, no network, hidden course files.

``python -m coursekit.grading.sandbox [options] -- CMD...`` is the kernel launcher. The grading
worker starts the IPython kernel through it, so that every limit is set by the grader *before*
any student code exists, in this order:

1. (root only) new mount and network namespaces when the kernel allows them: the paths given
   with ``--hide`` (solutions, hidden tests, gradebook, other submissions, results) are covered by
   empty read-only mounts, and the kernel has no network (it talks to the grader over Unix
   sockets in its private directory);
2. resource limits: address space (``RLIMIT_AS``), processes per user (``RLIMIT_NPROC``, against
   fork bombs), file size (``RLIMIT_FSIZE``), open files, no core dumps, CPU seconds;
3. (root only) switch to a fresh numeric uid/gid with no supplementary groups, so that the
   student's code cannot read files that are not world-readable, cannot signal the grader, and
   every process it starts can be killed afterwards with :func:`kill_uid`;
4. ``exec`` the kernel in the private directory.

What process isolation without containers does *not* give is documented in the README
("Running the course (instructors)").
"""

import argparse
import ctypes
import os
import resource
import secrets
import signal
import stat
import subprocess
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

# uids far from any real account; each submission gets its own, chosen at random so that two
# grading runs on one machine never share one (kill_uid would otherwise kill the other's kernels).
UID_RANGE = (2_000_000, 2_000_000_000)


def is_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


def new_uid():
    """A random unused-looking uid for one submission (root only)."""
    return UID_RANGE[0] + secrets.randbelow(UID_RANGE[1] - UID_RANGE[0])


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _new_mount_namespace():
    libc = _libc()
    if libc.unshare(CLONE_NEWNS) != 0:
        return False
    # Our mounts must not propagate back to the host.
    return libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0


def _hide_paths(paths):
    """Cover each path with an empty read-only mount (in the new mount namespace)."""
    libc = _libc()
    for path in paths:
        if not os.path.lexists(path):
            continue
        p = os.fsencode(path)
        if os.path.isdir(path) and not os.path.islink(path):
            ok = libc.mount(b"tmpfs", p, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                            b"size=4k,mode=000")
        else:
            ok = libc.mount(b"/dev/null", p, None, MS_BIND, None)
        if ok != 0:
            raise OSError(ctypes.get_errno(), f"cannot hide {path}")


# Top-level directories the kernel sees as they are; every other one (/home, /root, /tmp, /work,
# /srv, /var, /opt, ...) is covered by an empty tmpfs, and only --reveal paths are put back.
SYSTEM_DIRS = {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev", "proc", "sys"}


def _isolate_fs(reveal):
    """Cover every non-system top-level directory and ``/dev/shm``, then bind-mount back only
    ``reveal``; also a private System V IPC namespace and a ``/proc`` that hides other uids' processes.

    Must run in a fresh mount namespace. The originals are reached through ``O_PATH`` file
    descriptors opened before they are covered (``/proc/self/fd/N`` as the bind source).
    """
    libc = _libc()
    keep = []
    for path in sorted({os.path.realpath(p) for p in reveal}, key=len):
        if os.path.exists(path):
            keep.append((path, os.open(path, os.O_PATH)))
    covered = []
    for entry in sorted(os.listdir("/")):
        top = "/" + entry
        if entry in SYSTEM_DIRS or os.path.islink(top) or not os.path.isdir(top):
            continue
        if libc.mount(b"tmpfs", os.fsencode(top), b"tmpfs", MS_NOSUID | MS_NODEV,
                      b"size=1m,mode=755") != 0:
            raise OSError(ctypes.get_errno(), f"cannot cover {top}")
        covered.append(top)
    # /dev stays the host's, but not its shared memory: a private, empty /dev/shm (POSIX shared
    # memory and semaphores work; nothing is left there for the next submission to read).
    if os.path.isdir("/dev/shm") and libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs",
                                                 MS_NOSUID | MS_NODEV, b"size=64m,mode=1777") != 0:
        raise OSError(ctypes.get_errno(), "cannot cover /dev/shm")
    # System V IPC objects and POSIX message queues: a private IPC namespace.
    if libc.unshare(CLONE_NEWIPC) != 0:
        raise OSError(ctypes.get_errno(), "cannot create an IPC namespace")
    for path, fd in keep:
        if not any(path == c or path.startswith(c + "/") for c in covered):
            continue
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(path, mode=0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
            open(path, "a").close()
        if libc.mount(os.fsencode(f"/proc/self/fd/{fd}"), os.fsencode(path), None,
                      MS_BIND | MS_REC, None) != 0:
            raise OSError(ctypes.get_errno(), f"cannot reveal {path}")
        os.close(fd)
    # A /proc of its own that shows a uid only its own processes (hidepid=2): without it a kernel
    # would list the processes, command lines included, of the submission graded beside it.
    if libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, b"hidepid=2") != 0:
        raise OSError(ctypes.get_errno(), "cannot mount a private /proc")


def interpreter_paths():
    """Directories the kernel needs: this Python (venv and base installation) and coursekit."""
    paths = {sys.prefix, sys.base_prefix}
    try:
        import coursekit

        paths.add(os.path.dirname(os.path.abspath(coursekit.__file__)))
    except ImportError:  # pragma: no cover
        pass
    return sorted({os.path.realpath(p) for p in paths})


def _no_network():
    """New network namespace: only a (down) loopback device, so no network at all."""
    return _libc().unshare(CLONE_NEWNET) == 0


def namespaces_available():
    """True if this process may create mount and network namespaces (checked in a child)."""
    if not is_root():
        return False
    code = ("import ctypes,sys; l=ctypes.CDLL(None); "
            f"sys.exit(0 if l.unshare({CLONE_NEWNS | CLONE_NEWNET})==0 else 1)")
    return _probe_run([sys.executable, "-c", code], "namespaces")


def launcher_args(uid, isolate):
    args = ["--uid", str(uid)] if uid else []
    if uid and isolate:
        args += ["--no-network", "--isolate-fs"]
        args += [a for p in interpreter_paths() for a in ("--reveal", p)]
    return args


def probe(isolate):
    """Whether a kernel can start under a fresh uid (with namespaces if ``isolate``)."""
    # Found and readable, not imported: importing ipykernel costs a second of CPU, and the run's
    # self-check imports and runs everything in the same sandbox before any submission is graded.
    code = ("import importlib.util as u\nfor m in ('ipykernel', 'coursekit'):\n"
            "    open(u.find_spec(m).origin, 'rb').close()")
    cmd = [sys.executable, "-m", "coursekit.grading.sandbox", *launcher_args(new_uid(), isolate),
           "--cwd", "/", "--", sys.executable, "-c", code]
    return _probe_run(cmd, "a kernel " + ("in namespaces" if isolate else "under a fresh uid"))


# The probes take about a second on an idle machine. One that does not finish is no evidence
# that the sandbox is unavailable: a loaded machine must not quietly get a weaker sandbox.
PROBE_TIMEOUT = 600


def _probe_run(cmd, what):
    try:
        return subprocess.run(cmd, capture_output=True, timeout=PROBE_TIMEOUT).returncode == 0
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"the sandbox probe ({what}) did not finish in {PROBE_TIMEOUT} s, so "
                           "the strongest sandbox of this machine is unknown; nothing is graded "
                           "(is the machine overloaded?)") from None
    except OSError:
        return False


def choose_mode(log=print):
    """The strongest isolation this machine allows.

    ``namespaces``: root, fresh uid, private mount and network namespaces (the default on Linux
    as root); ``uid``: root without namespaces (a container without CAP_SYS_ADMIN), fresh uid and
    permissions; ``none``: not root, or the interpreter is unreachable to other users: resource
    limits only (the kernel runs as the grader's user; see the README).
    """
    if not is_root():
        return "none"
    if namespaces_available() and probe(True):
        return "namespaces"
    if probe(False):
        log("sandbox: no mount/network namespaces here; kernels run under a fresh uid only")
        return "uid"
    log("sandbox: WARNING: other users cannot run this Python; kernels run as root with "
        "resource limits only (install Python world-readable, or allow namespaces)")
    return "none"


def set_limits(memory_mb, nproc, fsize_mb, cpu_seconds, nofile=256):
    """Hard resource limits for this process and everything it starts."""
    def lim(which, value):
        resource.setrlimit(which, (value, value))

    lim(resource.RLIMIT_CORE, 0)
    lim(resource.RLIMIT_NOFILE, nofile)
    if memory_mb:
        lim(resource.RLIMIT_AS, int(memory_mb) * 1024 * 1024)
    if fsize_mb:
        lim(resource.RLIMIT_FSIZE, int(fsize_mb) * 1024 * 1024)
    if cpu_seconds:
        lim(resource.RLIMIT_CPU, int(cpu_seconds))
    if nproc and is_root():
        # RLIMIT_NPROC counts tasks (threads included) of the *real uid*; it only bounds a fork
        # bomb when that uid is private to this submission, which is why it is set as root only.
        lim(resource.RLIMIT_NPROC, int(nproc))


def drop_privileges(uid):
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def kill_uid(uid):
    """SIGKILL every process owned by ``uid`` (fork-bomb children, daemons that left the group)."""
    if not uid or not is_root():
        return
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.setresuid(uid, uid, uid)
            # As that uid, pid -1 means "every process I may signal": exactly its own processes.
            # Three rounds, as a fork bomb may be forking while we kill.
            for _ in range(3):
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
        except OSError:
            pass
        os._exit(0)
    os.waitpid(pid, 0)


SHARED_WRITABLE_DIRS = ("/tmp", "/var/tmp", "/dev/shm")


def remove_files_of(uid, dirs=SHARED_WRITABLE_DIRS):
    """Delete what ``uid`` left at the top of the machine's shared writable folders.

    Without namespaces a kernel sees the real ``/tmp`` and ``/dev/shm``; whatever it left there
    must not wait for the next submission. (With namespaces those folders are private to it.)
    """
    if not uid or not is_root():
        return
    import shutil

    for d in dirs:
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            try:
                if e.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if e.is_dir(follow_symlinks=False):
                    shutil.rmtree(e.path, ignore_errors=True)
                else:
                    os.unlink(e.path)
            except OSError:
                pass


def readable_by(uid, path):
    """Whether ``uid`` (no groups) can read ``path``: checked by trying, in a child process."""
    if not is_root():
        return True
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 1
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            if os.path.isdir(path):
                os.listdir(path)
            else:
                with open(path, "rb") as fh:
                    fh.read(1)
            code = 0
        except OSError:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def close_paths(paths, probe_uid, log=print):
    """Remove group/other permissions from each path a sandboxed kernel could read.

    The course files live in an ordinary checkout (world-readable). The grader runs kernels under
    uids that own nothing, so removing the "other" bits of the sensitive top-level paths is enough
    to make them unreadable to student code, and harmless to the instructor (the owner).
    Returns the paths that were changed.
    """
    changed = []
    for path in paths:
        if not os.path.lexists(path) or not readable_by(probe_uid, path):
            continue
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        os.chmod(path, mode & 0o700)
        changed.append(path)
        log(f"sandbox: made {path} private (was readable by other users)")
    return changed


def enter(uid=0, memory_mb=0, nproc=0, fsize_mb=0, cpu_seconds=0, chown=(), hide=(),
          isolate_fs=False, reveal=(), no_network=False, cwd=None):
    """Put the calling process in the sandbox, in the order the module docstring gives.

    Used by the launcher below (then ``exec`` the kernel) and by the kernel fork server
    (:mod:`coursekit.grading.forkserver`, in the freshly forked child, then start the kernel in
    that process): both paths set up exactly the same sandbox.
    """
    if is_root():
        if hide or isolate_fs:
            if not _new_mount_namespace():
                sys.stderr.write("sandbox: mount namespace unavailable; relying on permissions\n")
            else:
                if isolate_fs:
                    _isolate_fs(list(reveal) + ([cwd] if cwd else []))
                _hide_paths(hide)
        if no_network:
            _no_network()
    set_limits(memory_mb, nproc, fsize_mb, cpu_seconds)
    if uid and is_root():
        for path in chown:
            os.chown(path, uid, uid)
        drop_privileges(uid)
    if cwd:
        os.chdir(cwd)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m coursekit.grading.sandbox")
    p.add_argument("--uid", type=int, default=0)
    p.add_argument("--memory-mb", type=int, default=0)
    p.add_argument("--nproc", type=int, default=0)
    p.add_argument("--fsize-mb", type=int, default=0)
    p.add_argument("--cpu-seconds", type=int, default=0)
    p.add_argument("--chown", action="append", default=[], help="file the kernel must read")
    p.add_argument("--hide", action="append", default=[], help="path to cover (root only)")
    p.add_argument("--isolate-fs", action="store_true",
                   help="(root) show the kernel only system folders and the --reveal paths")
    p.add_argument("--reveal", action="append", default=[], help="path the kernel must reach")
    p.add_argument("--no-network", action="store_true")
    p.add_argument("--cwd", default=None)
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        p.error("no command")
    enter(uid=a.uid, memory_mb=a.memory_mb, nproc=a.nproc, fsize_mb=a.fsize_mb,
          cpu_seconds=a.cpu_seconds, chown=a.chown, hide=a.hide, isolate_fs=a.isolate_fs,
          reveal=a.reveal, no_network=a.no_network, cwd=a.cwd)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":  # pragma: no cover
    main()
