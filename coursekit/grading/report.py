"""``coursekit report``: what an instructor acts on, from ``grades.csv`` and ``totals.csv``.

Written to ``OUT/report/`` (every table is also a CSV):

``roster.csv``        student x task (score, with ``*`` when a part awaits a manual grade;
                      ``?`` when the grader failed on a part: the task's score is unknown),
                      total, maximum, late status and penalty, points pending
``tasks.csv``         per task: mean, median, share with full / partial / no credit, pending
``functions.csv``     per function of the assignment (the answer cell its tests check)
``tests.csv``         per test (part): mean and the count of every status
``misconceptions.csv`` the most common feedback messages of failed tests, with their test and count
``scores.png``, ``hardest.png``, ``totals.png``, ``messages.png`` and ``index.html`` showing it all.
"""

import collections
import csv
import html
import os
import re
import statistics

from . import notebook as nbk
from .grades import structure
from .runner import CourseDirs

NOT_WORK = ("missing_notebook", "invalid_notebook", "wrong_assignment")


def load_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["score"] = float(r["score"]) if r["score"] not in ("", None) else None
        r["max_score"] = float(r["max_score"])
    return rows


def _load_totals(path):
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return {r["student"]: r for r in csv.DictReader(fh)}
    except OSError:
        return {}


def roster(rows, totals):
    """[{student, per-task "score/max", total, max, late, penalty, pending}] and the task list."""
    tasks = list(dict.fromkeys(r["task"] for r in rows if r["kind"] != "late"))
    by = collections.defaultdict(lambda: collections.defaultdict(lambda: [0.0, 0.0, False, False]))
    for r in rows:
        if r["kind"] == "late":
            continue
        cell = by[r["student"]][r["task"]]
        cell[0] += r["score"] or 0.0
        cell[1] += r["max_score"]
        cell[2] = cell[2] or r["status"] == "awaiting_manual_grade"
        cell[3] = cell[3] or r["status"] == "grader_error"
    out = []
    for student in sorted(by):
        t = totals.get(student, {})
        row = {"student": student}
        for task in tasks:
            s, m, pending, error = by[student][task]
            # A part the grader failed on has no score: the task's is unknown, not 0.
            row[task] = "?" if error else f"{s:g}{'*' if pending else ''}"
        row.update(total=t.get("total", ""), max_score=t.get("max_score", ""),
                   late=t.get("late", ""), days_late=t.get("days_late", ""),
                   penalty=t.get("penalty", ""), pending_points=t.get("pending_points", ""),
                   complete=t.get("complete", ""))
        out.append(row)
    return out, tasks


def _rollup(groups):
    out = []
    for key, items in groups.items():
        # items: per student (score, max, pending, no_work, grader_error)
        graded = [(s, m) for s, m, pending, no_work, error in items if not pending and not error]
        scores = [s for s, _ in graded]
        mx = items[0][1] if items else 0.0
        n = len(graded)
        out.append({
            "name": key, "max_score": mx, "students": len(items), "graded": n,
            "mean": statistics.fmean(scores) if scores else None,
            "median": statistics.median(scores) if scores else None,
            "full": sum(s >= m for s, m in graded) / n if n else None,
            "partial": sum(0 < s < m for s, m in graded) / n if n else None,
            "none": sum(s == 0 for s, m in graded) / n if n else None,
            "pending": sum(1 for _, _, pending, _, _ in items if pending),
            "no_submission": sum(1 for _, _, _, no_work, _ in items if no_work),
            "grader_error": sum(1 for *_, error in items if error),
        })
    return out


def rollups(rows, parts):
    """Per-task and per-function roll-ups (over students, their parts added up)."""
    function_of = {p["part"]: p["function"] for p in parts}
    per = {"task": collections.OrderedDict(), "function": collections.OrderedDict()}
    acc = {k: collections.defaultdict(lambda: [0.0, 0.0, False, False, False]) for k in per}
    for r in rows:
        if r["kind"] == "late":
            continue
        for kind, key in (("task", r["task"]), ("function", function_of.get(r["part"], r["part"]))):
            per[kind].setdefault(key, None)
            a = acc[kind][(key, r["student"])]
            a[0] += r["score"] or 0.0
            a[1] += r["max_score"]
            a[2] = a[2] or r["status"] == "awaiting_manual_grade"
            a[3] = a[3] or r["status"] in NOT_WORK
            a[4] = a[4] or r["status"] == "grader_error"
    result = {}
    for kind in per:
        groups = collections.OrderedDict((k, []) for k in per[kind])
        for (key, _student), entry in acc[kind].items():
            groups[key].append(tuple(entry))
        result[kind] = _rollup(groups)
    return result["task"], result["function"]


def per_test(rows):
    tests = collections.OrderedDict()
    for r in rows:
        if r["kind"] == "late":
            continue
        tests.setdefault(r["part"], []).append(r)
    out = []
    for part, rs in tests.items():
        scored = [r["score"] for r in rs if r["score"] is not None]
        out.append({"part": part, "task": rs[0]["task"], "kind": rs[0]["kind"],
                    "max_score": rs[0]["max_score"], "students": len(rs),
                    "mean": statistics.fmean(scored) if scored else None,
                    "statuses": dict(collections.Counter(r["status"] for r in rs))})
    return out


def not_attempted(row):
    """A failed test whose function was left as the released stub (not a misconception)."""
    return "NotImplementedError" in row["message"] or "not implemented yet" in row["message"]


# A number in a message (a student's value, the expected one, a count): messages that differ only
# in these name the same mistake. Letters or digits glued to it (hw1, Task 5a, x2) are left alone.
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?!\w|\.\d)"
                     r"|(?<![\w.])[-+]?(?:nan|inf)(?!\w|\.\d)")


def message_kind(message):
    """``message`` with its numbers replaced by ``#``: the visible tests show each student's values,
    so the same mistake with different values must count as one misconception."""
    return _NUMBER.sub("#", message)


def misconceptions(rows, top=15):
    """The most common mistakes named by failed tests (stubs left unanswered aside), messages that
    differ only in their numbers counted together: [(count, part, task, message)], the message being
    the group's most frequent wording."""
    groups = collections.defaultdict(collections.Counter)
    for r in rows:
        if r["status"] == "failed" and r["message"] and not not_attempted(r):
            groups[(r["part"], r["task"], message_kind(r["message"]))][r["message"]] += 1
    counted = sorted(((sum(c.values()), key, c.most_common(1)[0][0]) for key, c in groups.items()),
                     key=lambda t: -t[0])  # stable: ties keep first-seen order, as Counter did
    return [(n, part, task, example) for n, (part, task, _), example in counted[:top]]


def _f(x, pct=False):
    if x is None:
        return ""
    return f"{100 * x:.0f}%" if pct else f"{x:.2f}"


def _write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _save(fig, outdir, name):
    """Lay out, write ``outdir/name.png`` and free the figure; return the path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = os.path.join(outdir, f"{name}.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _plots(roster_rows, tasks, task_stats, mis, outdir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = {}
    n = len(task_stats)
    cols = min(3, max(n, 1))
    nrows = (n + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 2.8 * nrows), squeeze=False)
    for ax, s in zip(axes.flat, task_stats):
        scores = [float(r[s["name"]]) for r in roster_rows if not r[s["name"]].endswith(("*", "?"))]
        ax.hist(scores, bins=min(20, max(2, int(s["max_score"] * 2) + 1)),
                range=(0, max(s["max_score"], 1e-9)), color="#3465a4", edgecolor="white")
        ax.set_title(s["name"][:40], fontsize=9)
        ax.set_xlabel("score")
        ax.set_ylabel("students")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle("Score distribution per task (graded students)")
    paths["scores"] = _save(fig, outdir, "scores")

    order = sorted([s for s in task_stats if s["mean"] is not None],
                   key=lambda s: s["mean"] / max(s["max_score"], 1e-9))
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(order) + 1.2))
    ax.barh([s["name"][:40] for s in order],
            [s["mean"] / max(s["max_score"], 1e-9) for s in order], color="#cc0000")
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("mean score / max score")
    ax.set_title("Hardest tasks first")
    paths["hardest"] = _save(fig, outdir, "hardest")

    totals = [float(r["total"]) for r in roster_rows if r["total"] != ""]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(totals, bins=20, color="#4e9a06", edgecolor="white")
    ax.set_xlabel("total score (late policy applied)")
    ax.set_ylabel("students")
    ax.set_title("Total scores")
    paths["totals"] = _save(fig, outdir, "totals")

    fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(mis), 1) + 1.2))
    labels = [(m[:70] + "…") if len(m) > 70 else m for _, _, _, m in mis]
    ax.barh(labels or ["(no failures)"], [c for c, *_ in mis] or [0], color="#75507b")
    ax.invert_yaxis()
    ax.set_xlabel("students")
    ax.set_title("Most common misconceptions (failed tests' messages)")
    paths["messages"] = _save(fig, outdir, "messages")
    return paths


def format_table(task_stats):
    lines = [f"{'task':44s} {'max':>5s} {'mean':>6s} {'full':>5s} {'part':>5s} {'none':>5s} pending"]
    for s in task_stats:
        lines.append(f"{s['name'][:44]:44s} {s['max_score']:5g} {_f(s['mean']):>6s} "
                     f"{_f(s['full'], True):>5s} {_f(s['partial'], True):>5s} "
                     f"{_f(s['none'], True):>5s} {s['pending']}")
    return "\n".join(lines)


def _table(header, rows):
    esc = html.escape
    head = "".join(f"<th>{esc(str(h))}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>\n{body}</table>"


def report(course_root, assignment, out=None):
    """Write the report; return the path of its index.html."""
    course = CourseDirs(course_root)
    out = os.path.abspath(out or os.path.join(course.root, "autograded", assignment))
    csv_path = os.path.join(out, "grades.csv")
    if not os.path.isfile(csv_path):
        raise FileNotFoundError(f"no {csv_path}: run `coursekit autograde {assignment}` first")
    rows = load_rows(csv_path)
    totals = _load_totals(os.path.join(out, "totals.csv"))
    source = course.source_notebook(assignment)
    parts = structure(nbk.read_source(source)) if os.path.isfile(source) else [
        {"part": r["part"], "function": r["part"]} for r in rows]
    outdir = os.path.join(out, "report")
    os.makedirs(outdir, exist_ok=True)

    roster_rows, tasks = roster(rows, totals)
    roster_cols = ["student"] + tasks + ["total", "max_score", "late", "days_late", "penalty",
                                         "pending_points", "complete"]
    _write_csv(os.path.join(outdir, "roster.csv"), roster_cols,
               [[r[c] for c in roster_cols] for r in roster_rows])
    task_stats, function_stats = rollups(rows, parts)
    stat_cols = ["max_score", "students", "graded", "mean", "median", "full", "partial", "none",
                 "pending", "no_submission", "grader_error"]

    def stat_row(s):
        return [s["name"], f"{s['max_score']:g}", s["students"], s["graded"], _f(s["mean"]),
                _f(s["median"]), _f(s["full"], True), _f(s["partial"], True), _f(s["none"], True),
                s["pending"], s["no_submission"], s["grader_error"]]

    _write_csv(os.path.join(outdir, "tasks.csv"), ["task"] + stat_cols,
               [stat_row(s) for s in task_stats])
    _write_csv(os.path.join(outdir, "functions.csv"), ["function"] + stat_cols,
               [stat_row(s) for s in function_stats])
    tests = per_test(rows)
    _write_csv(os.path.join(outdir, "tests.csv"),
               ["part", "task", "kind", "max_score", "students", "mean", "statuses"],
               [[t["part"], t["task"], t["kind"], f"{t['max_score']:g}", t["students"],
                 _f(t["mean"]), " ".join(f"{k}={v}" for k, v in sorted(t["statuses"].items()))]
                for t in tests])
    mis = misconceptions(rows)
    _write_csv(os.path.join(outdir, "misconceptions.csv"), ["students", "part", "task", "message"],
               [list(m) for m in mis])
    paths = _plots(roster_rows, tasks, task_stats, mis, outdir)

    esc = html.escape
    pending = [r["student"] for r in roster_rows
               if any(str(r[t]).endswith("*") for t in tasks)]
    errors = [r["student"] for r in roster_rows if any(str(r[t]).endswith("?") for t in tasks)]
    late = [r for r in roster_rows if r["late"] in ("late", "cutoff")]
    stat_head = ["task"] + stat_cols
    imgs = "\n".join(
        f'<figure><img src="{os.path.basename(p)}" alt="{esc(alt)}"><figcaption>{esc(alt)}'
        f'</figcaption></figure>'
        for p, alt in [(paths["scores"], "Score distribution per task"),
                       (paths["hardest"], "Tasks ordered from hardest (lowest mean score)"),
                       (paths["totals"], "Distribution of total scores"),
                       (paths["messages"], "Most common misconceptions")])
    max_total = roster_rows[0]["max_score"] if roster_rows else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(assignment)}: grading report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:75em;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}}
td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:left}} th{{background:#f3f3f3}}
img{{max-width:100%}} .note{{color:#555}}</style></head>
<body><main><h1>{esc(assignment)}: grading report</h1>
<p>{len(roster_rows)} students, {len(tasks)} tasks, {esc(str(max_total))} points.
{len(pending)} student(s) with parts awaiting a manual grade; {len(late)} late.
{f"{len(errors)} student(s) with parts the grader failed on (score unknown, marked ?): "
 f"run autograde again to grade them: {esc(', '.join(errors))}." if errors else ""}</p>
<p class="note">Every table is also a CSV in this folder: roster.csv, tasks.csv, functions.csv,
tests.csv, misconceptions.csv. A <code>*</code> marks a task with a part awaiting a manual grade,
a <code>?</code> one with a part the grader failed on.</p>
<h2>Roster</h2>{_table(roster_cols, [[r[c] for c in roster_cols] for r in roster_rows])}
<h2>Tasks</h2>{_table(stat_head, [stat_row(s) for s in task_stats])}
<h2>Functions</h2>{_table(["function"] + stat_cols, [stat_row(s) for s in function_stats])}
<h2>Most common misconceptions</h2>{_table(["students", "test", "task", "message"], mis)}
<h2>Tests</h2>{_table(["test", "task", "kind", "max", "students", "mean", "statuses"],
                      [[t["part"], t["task"], t["kind"], f"{t['max_score']:g}", t["students"],
                        _f(t["mean"]), " ".join(f"{k}={v}" for k, v in sorted(t["statuses"].items()))]
                       for t in tests])}
<h2>Plots</h2>{imgs}
</main></body></html>
"""
    index = os.path.join(outdir, "index.html")
    with open(index, "w", encoding="utf-8") as fh:
        fh.write(page)
    print(format_table(task_stats))
    return index
