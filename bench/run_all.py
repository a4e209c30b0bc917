"""Run every benchmark against scikit-learn and write the tables to bench/results/.

    python bench/run_all.py                 # full measurement (minutes): results/<name>.md
    python bench/run_all.py --quick         # small sizes: results/<name>.quick.md
    python bench/run_all.py kmeans gmm      # only these (always in the order below)

Each benchmark module exposes ``run(quick: bool) -> str`` returning a markdown report.
A module that is missing is skipped with a note.  The widget benchmark runs last: importing it
pins NUMBA_NUM_THREADS/OMP_NUM_THREADS to 1 for the rest of the process.
"""

from __future__ import annotations

import importlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARKS = [("kmeans", "bench_kmeans"), ("kmeans_auto", "bench_kmeans_auto"), ("gmm", "bench_gmm"),
              ("widgets", "bench_widgets")]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    names = [a for a in argv if a != "--quick"]
    known = [name for name, _ in BENCHMARKS]
    unknown = [a for a in names if a not in known]
    if unknown:
        sys.exit(f"usage: run_all.py [--quick] [{' | '.join(known)} ...]  (unknown: {' '.join(unknown)})")
    sys.path.insert(0, HERE)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    for name, module_name in BENCHMARKS:
        if names and name not in names:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            print(f"[{name}] skipped: bench/{module_name}.py not found\n")
            continue
        start = time.perf_counter()
        report = module.run(quick)
        path = os.path.join(HERE, "results", f"{name}.quick.md" if quick else f"{name}.md")
        with open(path, "w") as f:
            f.write(report if report.endswith("\n") else report + "\n")
        print(report)
        print(f"[{name}] {time.perf_counter() - start:.0f} s, written to bench/results/{os.path.basename(path)}\n")


if __name__ == "__main__":
    main()
