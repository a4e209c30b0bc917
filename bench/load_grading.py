"""Load test of the grading engine: N synthetic submissions through the local path and through the
Dask path, 1 and 2 workers each.

    .venv/bin/python bench/load_grading.py                  # N = 200 (minutes)
    .venv/bin/python bench/load_grading.py --n 10000        # a MOOC's week (hours on 2 cores)
    .venv/bin/python bench/load_grading.py --paths local    # only one path

The submissions are the test fixture's small assignment (``tests/fixtures/course``, ``fx_mle``:
three test cells), alternately correct and wrong, so the numbers measure the engine (sandboxed
kernel per submission, scoring, feedback, gradebook), not the homework. For each configuration a
fresh process runs ``coursekit autograde`` (in-process, so that its own peak memory is measured)
and reports: throughput, throughput per worker, the instructor's process peak RSS, and the
gradebook's row count and grades.csv's row count against N. The Dask path starts a real
``dask scheduler`` and ``dask worker --nthreads 1`` processes on loopback. A second, smaller run
(N/4) gives the instructor's memory growth per submission. Writes ``bench/results/load.md``.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
AID = "fx_mle"


def make(tmp, n):
    from adversarial.cases import CORRECT, WRONG, student_nb

    course = os.path.join(tmp, "course")
    if not os.path.isdir(course):
        shutil.copytree(os.path.join(ROOT, "tests", "fixtures", "course"), course)
    with open(os.path.join(course, "solutions", AID, f"{AID}.ipynb")) as fh:
        src = json.load(fh)
    subs = os.path.join(tmp, f"subs-{n}")
    good, bad = student_nb(src, CORRECT), student_nb(src, WRONG)
    for i in range(n):
        d = os.path.join(subs, f"s{i:06d}")
        os.makedirs(d)
        with open(os.path.join(d, f"{AID}.ipynb"), "wb") as fh:
            fh.write(good if i % 2 == 0 else bad)
    return course, subs


def one(args):
    """Child process: one grading run; prints a JSON line with its measurements."""
    from coursekit.grading import runner

    t0 = time.perf_counter()
    rows = runner.autograde(args.course, AID, args.subs, out=args.out, jobs=args.jobs,
                            db_url="sqlite:///" + args.db, timeout=120, progress=False,
                            log=lambda *a: None, scheduler=args.scheduler)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with sqlite3.connect(args.db) as con:
        gb = con.execute("select count(*) from submitted_assignment").fetchone()[0]
    print(json.dumps({"wall": wall, "peak_mb": peak_mb, "rows": len(rows), "gradebook": gb,
                      "ok": sum(r["status"] == "ok" for r in rows),
                      "failed": sum(r["status"] == "failed" for r in rows),
                      "other": sorted({r["status"] for r in rows} - {"ok", "failed"})}))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, tmp, n):
        dask = os.path.join(os.path.dirname(sys.executable), "dask")
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        port = self.address.rsplit(":", 1)[1]
        log = open(os.path.join(tmp, "cluster.log"), "ab")
        self.procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", port,
                                        "--no-dashboard"], stdout=log, stderr=log,
                                       start_new_session=True)]
        for k in range(n):
            self.procs.append(subprocess.Popen(
                [dask, "worker", self.address, "--nthreads", "1", "--no-dashboard",
                 "--name", f"w{k}"], stdout=log, stderr=log, start_new_session=True))
        from distributed import Client

        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                with Client(self.address, timeout=30) as c:
                    if len(c.scheduler_info(n_workers=-1)["workers"]) >= n:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError("the Dask workers did not start")

    def stop(self):
        for p in reversed(self.procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except OSError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def run_config(tmp, course, subs, n, path, workers):
    tag = f"{path}-{workers}-{n}"
    out, db = os.path.join(tmp, f"out-{tag}"), os.path.join(tmp, f"gb-{tag}.db")
    cmd = [sys.executable, os.path.abspath(__file__), "--one", "--course", course, "--subs", subs,
           "--out", out, "--db", db]
    cluster = None
    if path == "dask":
        cluster = Cluster(tmp, workers)
        cmd += ["--scheduler", cluster.address]
    else:
        cmd += ["--jobs", str(workers)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    finally:
        if cluster:
            cluster.stop()  # its processes' CPU counts from here on
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout[-3000:] + proc.stderr[-3000:])
    m = json.loads(proc.stdout.strip().splitlines()[-1])
    m.update(path=path, workers=workers, n=n, load=os.getloadavg()[0],
             cpu=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    shutil.rmtree(out, ignore_errors=True)
    print(f"{path} x{workers}, N={n}: {n / m['wall']:.2f}/s, peak {m['peak_mb']:.0f} MB, "
          f"gradebook {m['gradebook']}, rows {m['rows']}", flush=True)
    return m


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--paths", nargs="+", default=["local", "dask"])
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    for name in ("course", "subs", "out", "db", "scheduler"):
        p.add_argument(f"--{name}", default=None, help=argparse.SUPPRESS)
    p.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.one:
        return one(a)
    results = []
    with tempfile.TemporaryDirectory(prefix="load-grading-") as tmp:
        course, subs = make(tmp, a.n)
        _, small = make(tmp, max(4, a.n // 4))
        for path in a.paths:
            for w in a.workers:
                results.append(run_config(tmp, course, subs, a.n, path, w))
            results.append(run_config(tmp, course, small, max(4, a.n // 4), path, a.workers[-1]))
    report = render(a, results)
    print(report)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "load.md"), "w") as fh:
        fh.write(report)


def render(a, results):
    lines = [f"Load test, {os.cpu_count()} CPUs: N synthetic submissions of the fixture assignment "
             "(half correct, half wrong), each graded in its own sandboxed kernel.", "",
             "| path | workers | N | wall (s) | submissions/s | per worker | vs 1 worker | CPU (s) | "
             "instructor peak RSS (MB) | gradebook rows | grades.csv rows | load avg |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    base = {(r["path"], r["n"]): r["n"] / r["wall"] for r in results if r["workers"] == 1}
    for r in results:
        rate = r["n"] / r["wall"]
        one_worker = base.get((r["path"], r["n"]))
        scaling = f"{rate / one_worker:.2f}x" if one_worker else "—"
        ok = "" if r["gradebook"] == r["n"] and r["rows"] == 3 * r["n"] else " (MISMATCH)"
        lines.append(f"| {r['path']} | {r['workers']} | {r['n']} | {r['wall']:.1f} | {rate:.2f} | "
                     f"{rate / r['workers']:.2f} | {scaling} | {r['cpu']:.0f} | "
                     f"{r['peak_mb']:.0f} | {r['gradebook']}{ok} | {r['rows']} | {r['load']:.1f} |")
    for path in {r["path"] for r in results}:
        rs = sorted((r for r in results if r["path"] == path and r["workers"] == a.workers[-1]),
                    key=lambda r: r["n"])
        if len(rs) >= 2 and rs[-1]["n"] > rs[0]["n"]:
            growth = (rs[-1]["peak_mb"] - rs[0]["peak_mb"]) / (rs[-1]["n"] - rs[0]["n"]) * 1024
            lines.append("")
            lines.append(f"{path}: the instructor's peak memory grows by {growth:.1f} kB per "
                         f"submission between N = {rs[0]['n']} and N = {rs[-1]['n']} (it keeps "
                         "every result for grades.csv).")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
