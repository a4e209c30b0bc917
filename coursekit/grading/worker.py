"""Grade one submission, in its own process: ``python -m coursekit.grading.worker JOB.json``.

The parent (:mod:`coursekit.grading.runner`) starts one worker per submission and enforces a
hard wall-clock limit on it; the worker enforces the per-cell and per-submission limits itself,
and writes its result JSON after every test cell, so that a worker killed at the hard limit still
leaves the scores of the tasks it finished.

Scoring (all-or-nothing per test cell, decided here, never by the notebook): a task scores its
points when the kernel's ``execute_reply`` for the test cell is ``ok`` *and* a random token that
the worker appended to the end of the test cell was printed. The token is new for every
submission and never on disk, so an answer cell that swallows exceptions (a custom IPython
exception handler, a patched reply, ``clear_output``, a closed ``sys.stdout``) cannot make a
failing test cell look like a passing one. Output on stderr (warnings) does not cost points,
unlike plain nbgrader.
"""

import asyncio
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time

import nbformat
import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel  # noqa: F401  (import check)
from jupyter_client.connect import channel_socket_types
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from . import notebook as nbk
from . import sandbox

MAX_MESSAGE_BYTES = 8 * 1024 * 1024   # one kernel message larger than this is dropped by ZeroMQ
STDOUT_KEEP_CHARS = 20_000            # stream text kept per cell in the feedback
INTERRUPT_AFTER_BYTES = 64 * 1024 * 1024  # output beyond this interrupts the running cell


class _CappedClient(AsyncKernelClient):
    """A kernel client whose sockets refuse oversized messages (a 1 GB print never reaches us)."""

    def _create_connected_socket(self, channel, identity=None):
        sock = self.context.socket(channel_socket_types[channel])
        sock.linger = 1000
        sock.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        if identity:
            sock.identity = identity
        sock.connect(self._make_url(channel))
        return sock


class SandboxKernelManager(AsyncKernelManager):
    """Starts ``ipykernel`` through :mod:`coursekit.grading.sandbox` with the job's limits."""

    sandbox_args: list = []

    def format_kernel_cmd(self, extra_arguments=None):
        kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file]
        return [sys.executable, "-m", "coursekit.grading.sandbox", *self.sandbox_args, "--", *kernel]


class GradingClient(NotebookClient):
    """nbclient with an output budget and a record of every reply and token seen."""

    def __init__(self, nb, token, output_limit, **kw):
        super().__init__(nb, **kw)
        self.token = token
        self.output_limit = output_limit
        self.output_bytes = 0
        self.overflow = False
        self.interrupted_for_output = False
        self.tokens_seen = set()
        self.replies = {}
        self.on_cell_executed = self._record_reply

    def _record_reply(self, cell, cell_index, execute_reply):
        self.replies[cell_index] = execute_reply.get("content", {}) if execute_reply else {}

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if msg.get("msg_type") == "stream":
            text = content.get("text", "")
            if self.token in text:
                self.tokens_seen.add(cell_index)
                content["text"] = text.replace(self.token, "")
            size = len(text)
        else:
            size = len(str(content.get("data", ""))) + len(str(content.get("traceback", "")))
        self.output_bytes += size
        if self.output_bytes > self.output_limit and msg.get("msg_type") != "error":
            if not self.overflow:
                self.overflow = True
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"\n[output truncated: more than {self.output_limit // 1024} kB]\n"))
            if self.output_bytes > INTERRUPT_AFTER_BYTES and not self.interrupted_for_output:
                self.interrupted_for_output = True
                self._interrupt()
            return None
        return super().output(outs, msg, display_id, cell_index)

    def _interrupt(self):
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        if proc is not None:
            try:
                os.kill(proc.pid, signal.SIGINT)
            except OSError:
                pass


def kernel_env(private):
    """A minimal environment: nothing of the grader's (database URLs, tokens) reaches the kernel."""
    d = lambda *p: os.path.join(private, *p)  # noqa: E731
    return {
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": private, "TMPDIR": d("tmp"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": d(".mpl"), "IPYTHONDIR": d(".ipython"),
        "JUPYTER_CONFIG_DIR": d(".jupyter"), "JUPYTER_DATA_DIR": d(".jupyter", "data"),
        "JUPYTER_RUNTIME_DIR": d(".jupyter", "runtime"), "NUMBA_CACHE_DIR": d(".numba"),
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONNOUSERSITE": "1",
    }


def _prepare_private_dir(job, private, uid, student_file):
    os.makedirs(private, mode=0o700)
    for sub in ("tmp", ".mpl", ".ipython", ".jupyter", ".numba"):
        os.makedirs(os.path.join(private, sub), mode=0o700)
    # Pre-built matplotlib font cache: avoids rebuilding it (seconds) for every submission.
    mpl_cache = job.get("mpl_cache")
    if mpl_cache and os.path.isdir(mpl_cache):
        for name in os.listdir(mpl_cache):
            if name.endswith(".json"):
                shutil.copy(os.path.join(mpl_cache, name), os.path.join(private, ".mpl", name))
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


def _related_answers(nb):
    """For each test cell index, the answer grade ids between the previous test cell and it."""
    related, pending = {}, []
    for i, cell in enumerate(nb.cells):
        if nbk.is_answer_cell(cell):
            pending.append(nbk.grade_id(cell))
        elif nbk.is_test_cell(cell):
            related[i] = pending
            pending = []
    return related


class Result:
    def __init__(self, job, task_list, sha):
        self.job = job
        self.data = {
            "student": job["student"], "assignment": job["assignment"], "submission_sha256": sha,
            "grader_key": job.get("grader_key", ""), "notes": [], "complete": False,
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
        with open(tmp, "w") as fh:
            json.dump(self.data, fh, indent=1)
        os.replace(tmp, path)


async def _execute(job, nb, result, private, uid):
    token = "ck-" + secrets.token_hex(16)
    test_cells = {i: nbk.grade_id(c) for i, c in enumerate(nb.cells) if nbk.is_test_cell(c)}
    for i in test_cells:
        # Runs only if every statement before it did; printed on its own line.
        nb.cells[i].source = nb.cells[i].source.rstrip() + f"\nprint({token!r})\n"
    related = _related_answers(nb)
    missing = set(job.get("_missing", []))

    km = SandboxKernelManager(transport="ipc", ip=os.path.join(private, "k"),
                              client_class="coursekit.grading.worker._CappedClient")
    km.connection_file = os.path.join(private, "kernel.json")
    args = ["--memory-mb", str(job["memory_mb"]), "--nproc", str(job["nproc"]),
            "--fsize-mb", str(job["fsize_mb"]), "--cpu-seconds", str(int(job["timeout"]) + 30),
            "--chown", km.connection_file, "--cwd", private]
    if uid:
        args += ["--uid", str(uid)]
        if job.get("namespaces"):
            args += ["--no-network"] + [a for p in job.get("hide", []) for a in ("--hide", p)]
            hold = os.path.join(job["staging"], "hold")
            os.makedirs(hold, mode=0o700, exist_ok=True)
            args += ["--hold", hold]
            args += [a for p in sandbox.interpreter_paths() for a in ("--reveal", p)]
    km.sandbox_args = args
    client = GradingClient(nb, token, job["output_kb"] * 1024, km=km, kernel_name="python3",
                           timeout=job["cell_timeout"], allow_errors=True, startup_timeout=60,
                           resources={"metadata": {"path": private}})
    timed_out, died = set(), None
    deadline = time.monotonic() + job["timeout"]
    # The kernel's own stdout/stderr (fd-level writes bypass the messaging) go to a log file
    # outside its reach, capped by RLIMIT_FSIZE.
    log = open(os.path.join(job["staging"], "kernel.log"), "wb")
    async with client.async_setup_kernel(cwd=private, env=kernel_env(private),
                                         stdout=log, stderr=log):
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            remaining = deadline - time.monotonic()
            if remaining < 0.5:
                break
            client.timeout = max(1, int(min(job["cell_timeout"], remaining)))
            try:
                await client.async_execute_cell(cell, i)
            except CellTimeoutError:
                timed_out.add(i)
                client._interrupt()
            except DeadKernelError:
                died = i
                break
            if i in test_cells:
                _score(result, i, test_cells[i], cell, client, timed_out, related, missing)
                result.save()
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


def _score(result, i, task, cell, client, timed_out, related, missing):
    reply = client.replies.get(i, {})
    max_score = float(cell.metadata.nbgrader["points"])
    if i in timed_out:
        result.set(task, score=0.0, status="timeout", message="the test did not finish in time")
        return
    if reply.get("status") == "ok" and i in client.tokens_seen:
        result.set(task, score=max_score, status="ok", message="")
        return
    if reply.get("status") == "ok":
        result.set(task, score=0.0, status="tampered",
                   message="the test cell was stopped before its end (exception swallowed?)")
        return
    ename = str(reply.get("ename", "Error"))
    evalue = str(reply.get("evalue", ""))
    message = f"{ename}: {evalue}".strip()[:300]
    if ename == "MemoryError":
        status = "memory"
    elif client.interrupted_for_output:
        status = "output_limit"
    elif any(a in missing for a in related.get(i, [])):
        status = "missing_cell"
        message = "the answer cell was deleted; " + message
    else:
        status = "failed"
    result.set(task, score=0.0, status=status, message=message)


def _feedback(job, nb, result, client):
    """Feedback HTML: the student's cells with their outputs, test cells without hidden code."""
    from nbconvert import HTMLExporter

    by_task = {t["task"]: t for t in result.data["tasks"]}
    rows = "\n".join(f"| {t['task']} | {t['score']:g} / {t['max_score']:g} | {t['status']} |"
                     for t in result.data["tasks"])
    total = sum(t["score"] for t in result.data["tasks"])
    total_max = sum(t["max_score"] for t in result.data["tasks"])
    head = (f"# Feedback: {job['assignment']} — {job['student']}\n\n"
            f"**Score: {total:g} / {total_max:g}**\n\n| task | score | status |\n|---|---|---|\n{rows}\n")
    cells = [nbformat.v4.new_markdown_cell(head)]
    if result.data["notes"]:
        cells.append(nbformat.v4.new_markdown_cell(
            "Notes from the grader:\n\n" + "\n".join(f"- {n}" for n in result.data["notes"])))
    for cell in (nb.cells if nb is not None else []):
        new = nbformat.v4.new_code_cell() if cell.cell_type == "code" else nbformat.v4.new_markdown_cell()
        if nbk.is_test_cell(cell):
            t = by_task.get(nbk.grade_id(cell), {})
            src = nbk.strip_hidden(cell.source)
            new.source = src.rsplit("\nprint(", 1)[0]  # drop the worker's token line
            verdict = ("passed" if t.get("status") == "ok" else
                       f"{t.get('status')}: {t.get('message', '')}")
            new.outputs = [nbformat.v4.new_output(
                "stream", name="stdout",
                text=f"[{t.get('task')}] {t.get('score', 0):g} / {t.get('max_score', 0):g} — {verdict}\n")]
        else:
            new.source = cell.source
            if cell.cell_type == "code":
                new.outputs = _safe_outputs(cell.get("outputs", []))
        cells.append(new)
    fb = nbformat.v4.new_notebook(cells=cells)
    html, _ = HTMLExporter(template_name="classic").from_notebook_node(fb)
    tmp = job["feedback_path"] + ".part"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(html)
    os.replace(tmp, job["feedback_path"])


def _safe_outputs(outputs):
    """Text and PNG only (no HTML or JavaScript from student code), capped in size."""
    out, kept = [], 0
    for o in outputs:
        kind = o.get("output_type")
        if kind == "stream":
            text = o.get("text", "")[: max(0, STDOUT_KEEP_CHARS - kept)]
            kept += len(text)
            if text:
                out.append(nbformat.v4.new_output("stream", name=o.get("name", "stdout"), text=text))
        elif kind in ("execute_result", "display_data"):
            data = {k: v for k, v in o.get("data", {}).items() if k in ("text/plain", "image/png")}
            if "text/plain" in data:
                data["text/plain"] = str(data["text/plain"])[:STDOUT_KEEP_CHARS]
            if data:
                out.append(nbformat.v4.new_output("display_data", data=data))
        elif kind == "error":
            tb = [str(line)[:2000] for line in o.get("traceback", [])[-20:]]
            out.append(nbformat.v4.new_output("error", ename=str(o.get("ename", ""))[:200],
                                              evalue=str(o.get("evalue", ""))[:2000], traceback=tb))
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


def grade(job):
    """Grade the submission described by ``job`` (a dict); returns the result dict."""
    source_nb = nbk.read_source(job["source"])
    result = Result(job, nbk.tasks(source_nb), job.get("sha256", ""))
    result.save()
    uid = int(job.get("uid") or 0)
    private = os.path.join(job["staging"], "sub")
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
        _prepare_private_dir(job, private, uid, job["submission"])
        client = asyncio.run(_execute(job, nb, result, private, uid))
        if client.overflow:
            result.data["notes"].append(f"output truncated after {job['output_kb']} kB")
    except nbk.SubmissionError as exc:
        result.set_all(exc.status, exc.message)
    finally:
        sandbox.kill_uid(uid)
        shutil.rmtree(private, ignore_errors=True)
    result.save(complete=True)
    try:
        _feedback(job, nb, result, client)
    except Exception as exc:  # feedback is a courtesy: never lose the grades for it
        result.data["notes"].append(f"feedback not written: {type(exc).__name__}")
        result.save(complete=True)
    return result.data


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0]) as fh:
        job = json.load(fh)
    # The grader itself must survive a kernel that floods it: cap its own address space.
    import resource
    cap = int(job.get("worker_memory_mb", 4096)) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    grade(job)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
