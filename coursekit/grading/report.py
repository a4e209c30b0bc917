"""``coursekit report``: a summary of ``grades.csv`` as a table, PNG plots and an HTML page.

Written to ``OUT/report/``: ``summary.csv`` (per task: mean, share of full marks, counts by
status), ``scores.png`` (score distribution per task), ``hardest.png`` (tasks by mean score),
``totals.png`` (distribution of the students' totals), ``messages.png`` (the most common
feedback messages) and ``index.html`` showing all of them.
"""

import collections
import csv
import html
import os

from .runner import CourseDirs


def load_rows(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["score"] = float(r["score"])
        r["max_score"] = float(r["max_score"])
    return rows


def summarize(rows):
    """Per-task statistics, in the order tasks first appear."""
    tasks = collections.OrderedDict()
    for r in rows:
        tasks.setdefault(r["task"], []).append(r)
    out = []
    for task, rs in tasks.items():
        n = len(rs)
        mx = rs[0]["max_score"]
        scores = [r["score"] for r in rs]
        out.append({
            "task": task, "students": n, "max_score": mx,
            "mean": sum(scores) / n if n else 0.0,
            "full_marks": sum(s >= mx for s in scores) / n if n else 0.0,
            "statuses": dict(collections.Counter(r["status"] for r in rs)),
        })
    return out


def common_messages(rows, top=10):
    counter = collections.Counter(r.get("message", "") for r in rows
                                  if r["status"] != "ok" and r.get("message"))
    return counter.most_common(top)


def _save(fig, outdir, name):
    """Lay out, write ``outdir/name.png`` and free the figure; return the path."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = os.path.join(outdir, f"{name}.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _plots(rows, summary, messages, outdir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = {}
    n = len(summary)
    cols = min(3, max(n, 1))
    nrows = (n + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 2.8 * nrows), squeeze=False)
    for ax, s in zip(axes.flat, summary):
        scores = [r["score"] for r in rows if r["task"] == s["task"]]
        ax.hist(scores, bins=min(20, max(2, int(s["max_score"] * 2) + 1)),
                range=(0, max(s["max_score"], 1e-9)), color="#3465a4", edgecolor="white")
        ax.set_title(s["task"], fontsize=9)
        ax.set_xlabel("score")
        ax.set_ylabel("students")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle("Score distribution per task")
    paths["scores"] = _save(fig, outdir, "scores")

    order = sorted(summary, key=lambda s: s["mean"] / max(s["max_score"], 1e-9))
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(order) + 1.2))
    ax.barh([s["task"] for s in order], [s["mean"] / max(s["max_score"], 1e-9) for s in order],
            color="#cc0000")
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("mean score / max score")
    ax.set_title("Hardest tasks first")
    paths["hardest"] = _save(fig, outdir, "hardest")

    totals = collections.defaultdict(float)
    for r in rows:
        totals[r["student"]] += r["score"]
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(list(totals.values()), bins=20, color="#4e9a06", edgecolor="white")
    ax.set_xlabel("total score")
    ax.set_ylabel("students")
    ax.set_title("Total scores")
    paths["totals"] = _save(fig, outdir, "totals")

    fig, ax = plt.subplots(figsize=(9, 0.45 * max(len(messages), 1) + 1.2))
    labels = [(m[:70] + "…") if len(m) > 70 else m for m, _ in messages]
    ax.barh(labels or ["(no failures)"], [c for _, c in messages] or [0], color="#75507b")
    ax.invert_yaxis()
    ax.set_xlabel("rows")
    ax.set_title("Most common feedback messages")
    paths["messages"] = _save(fig, outdir, "messages")
    return paths


def format_table(summary):
    lines = [f"{'task':32s} {'max':>5s} {'mean':>6s} {'full':>6s}  statuses"]
    for s in summary:
        st = " ".join(f"{k}={v}" for k, v in sorted(s["statuses"].items()))
        lines.append(f"{s['task']:32s} {s['max_score']:5g} {s['mean']:6.2f} "
                     f"{100 * s['full_marks']:5.0f}%  {st}")
    return "\n".join(lines)


def report(course_root, assignment, out=None):
    """Write the report; return the path of its index.html."""
    course = CourseDirs(course_root)
    out = os.path.abspath(out or os.path.join(course.root, "autograded", assignment))
    csv_path = os.path.join(out, "grades.csv")
    if not os.path.isfile(csv_path):
        raise FileNotFoundError(f"no {csv_path}: run `coursekit autograde {assignment}` first")
    rows = load_rows(csv_path)
    summary = summarize(rows)
    messages = common_messages(rows)
    outdir = os.path.join(out, "report")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "summary.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["task", "students", "max_score", "mean", "full_marks", "statuses"])
        for s in summary:
            w.writerow([s["task"], s["students"], f"{s['max_score']:g}", f"{s['mean']:.3f}",
                        f"{s['full_marks']:.3f}",
                        " ".join(f"{k}={v}" for k, v in sorted(s["statuses"].items()))])
    paths = _plots(rows, summary, messages, outdir)
    students = sorted({r["student"] for r in rows})
    total_max = sum(s["max_score"] for s in summary)
    esc = html.escape
    trs = "\n".join(
        f"<tr><td>{esc(s['task'])}</td><td>{s['max_score']:g}</td><td>{s['mean']:.2f}</td>"
        f"<td>{100 * s['full_marks']:.0f}%</td><td>{esc(' '.join(f'{k}={v}' for k, v in sorted(s['statuses'].items())))}</td></tr>"
        for s in summary)
    mrs = "\n".join(f"<tr><td>{c}</td><td>{esc(m)}</td></tr>" for m, c in messages)
    imgs = "\n".join(
        f'<figure><img src="{os.path.basename(p)}" alt="{esc(alt)}"><figcaption>{esc(alt)}</figcaption></figure>'
        for p, alt in [(paths["scores"], "Score distribution per task"),
                       (paths["hardest"], "Tasks ordered from hardest (lowest mean score)"),
                       (paths["totals"], "Distribution of total scores"),
                       (paths["messages"], "Most common feedback messages")])
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(assignment)}: grading report</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:left}} img{{max-width:100%}}</style></head>
<body><h1>{esc(assignment)}: grading report</h1>
<p>{len(students)} students, {len(summary)} autograded tasks, {total_max:g} points.</p>
<h2>Tasks</h2><table><tr><th>task</th><th>max</th><th>mean</th><th>full marks</th><th>statuses</th></tr>
{trs}</table>
<h2>Most common feedback messages</h2><table><tr><th>rows</th><th>message</th></tr>{mrs}</table>
<h2>Plots</h2>{imgs}
</body></html>
"""
    index = os.path.join(outdir, "index.html")
    with open(index, "w", encoding="utf-8") as fh:
        fh.write(page)
    print(format_table(summary))
    return index
