"""Unit tests of the untrusted-notebook reader and of the gradable-notebook rebuild (no kernel)."""

import json
import os
import zipfile

import nbformat
import pytest

from coursekit.grading import notebook as nbk
from coursekit.grading.submissions import discover, safe_extract


def find_submissions(directory, assignment, work=None):
    return discover(directory, assignment, work or os.path.join(directory, os.pardir, '.w')).paths()

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "fixtures", "course", "solutions", "fx_mle", "fx_mle.ipynb")


@pytest.fixture
def source():
    return nbk.read_source(SOURCE)


def _write(tmp_path, data, name="s.ipynb"):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(p)


def _student(answer="def mle_gaussian(X):\n    return 1\n"):
    nb = json.load(open(SOURCE))
    for cell in nb["cells"]:
        if cell["metadata"]["nbgrader"]["grade_id"] == "mle_gaussian":
            cell["source"] = answer
    return nb


@pytest.mark.parametrize("data, needle", [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"[1, 2]", "not a Jupyter notebook"),
    (b'{"worksheets": [], "nbformat": 3}', "nbformat 3"),
])
def test_read_submission_rejects_with_a_reason(tmp_path, data, needle):
    with pytest.raises(nbk.SubmissionError) as err:
        nbk.read_submission(_write(tmp_path, data))
    assert err.value.status == "invalid_notebook"
    assert needle in err.value.message


def test_read_submission_refuses_symlinks_and_huge_files(tmp_path):
    link = tmp_path / "link.ipynb"
    os.symlink(SOURCE, link)
    with pytest.raises(nbk.SubmissionError, match="regular file"):
        nbk.read_submission(str(link))
    big = tmp_path / "big.ipynb"
    with open(big, "wb") as fh:
        fh.truncate(nbk.MAX_SUBMISSION_BYTES + 1)
    with pytest.raises(nbk.SubmissionError, match="larger than"):
        nbk.read_submission(str(big))
    with pytest.raises(nbk.SubmissionError) as err:
        nbk.read_submission(str(tmp_path / "absent.ipynb"))
    assert err.value.status == "missing_notebook"


def test_tasks_are_the_code_grade_cells(source):
    assert nbk.tasks(source) == [{"task": "test_visible", "max_score": 1.0},
                                 {"task": "test_mean", "max_score": 1.0},
                                 {"task": "test_cov", "max_score": 2.0}]


def test_rebuild_restores_test_cells_and_keeps_only_the_answer(source):
    student = _student("def mle_gaussian(X):\n    return 'mine'\n")
    for cell in student["cells"]:
        nbg = cell["metadata"]["nbgrader"]
        if nbg["grade"]:
            cell["source"] = "pass"          # edited test cell
            cell["cell_type"] = "markdown"   # and re-typed
            nbg["points"] = 100
    student["cells"].append({"cell_type": "code", "metadata": {"tags": ["skip-execution"]},
                             "source": "x = 1", "outputs": [], "execution_count": None})
    nb, info = nbk.build_gradable(source, student, "fx_mle")
    src_tests = [c for c in source.cells if nbk.is_test_cell(c)]
    got_tests = [c for c in nb.cells if nbk.is_test_cell(c)]
    assert [c.source for c in got_tests] == [c.source for c in src_tests]
    assert [c.metadata.nbgrader["points"] for c in got_tests] == [1, 1, 2]
    answer = next(c for c in nb.cells if nbk.grade_id(c) == "mle_gaussian")
    assert "'mine'" in answer.source and "BEGIN SOLUTION" not in answer.source
    extra = nb.cells[-1]
    assert extra.source == "x = 1" and extra.metadata == {}
    assert info["missing"] == []
    nbformat.validate(nb)
    assert len({c.id for c in nb.cells}) == len(nb.cells)


def test_rebuild_reinserts_deleted_cells_and_reports_missing_answers(source):
    student = _student()
    student["cells"] = [c for c in student["cells"] if c["metadata"]["nbgrader"]["grade_id"] == "setup"]
    student["cells"].append({"cell_type": "code", "metadata": {}, "source": "y = 2"})
    with pytest.raises(nbk.SubmissionError) as err:
        nbk.build_gradable(source, student, "fx_mle")
    assert err.value.status == "wrong_assignment"


def test_rebuild_handles_duplicates_and_retyped_answers(source):
    student = _student("def mle_gaussian(X):\n    return 'first'\n")
    answer = next(c for c in student["cells"] if c["metadata"]["nbgrader"]["grade_id"] == "mle_gaussian")
    dup = json.loads(json.dumps(answer))
    dup["source"] = "def mle_gaussian(X):\n    return 'second'\n"
    answer["cell_type"] = "markdown"
    student["cells"].insert(student["cells"].index(answer) + 1, dup)
    for cell in student["cells"]:
        cell["id"] = "same"
    nb, info = nbk.build_gradable(source, student, "fx_mle")
    ans = next(c for c in nb.cells if nbk.grade_id(c) == "mle_gaussian")
    assert ans.cell_type == "code" and "'first'" in ans.source
    assert any("duplicated" in n for n in info["notes"])


def test_strip_hidden_removes_the_hidden_block(source):
    cell = next(c for c in source.cells if nbk.grade_id(c) == "test_cov")
    shown = nbk.strip_hidden(cell.source)
    assert "check_mle_cov" not in shown and "(hidden tests)" in shown


def _layout(root, paths):
    for p in paths:
        full = os.path.join(root, p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as fh:
            fh.write("{}")


def test_find_submissions_layouts(tmp_path):
    a = tmp_path / "a"
    _layout(str(a), ["alice/hw.ipynb", "bob/hw.ipynb", "carol/notes.txt", "dan/hw (1).ipynb"])
    got = find_submissions(str(a), "hw")
    assert got["alice"].endswith("alice/hw.ipynb") and got["carol"] is None
    assert got["dan"].endswith("hw (1).ipynb")
    b = tmp_path / "b"
    _layout(str(b), ["submitted/alice/hw/hw.ipynb", "submitted/bob/hw/hw.ipynb"])
    for d in (str(b), str(b / "submitted")):
        got = find_submissions(d, "hw")
        assert sorted(got) == ["alice", "bob"] and got["bob"].endswith("bob/hw/hw.ipynb")


def test_zip_extraction_is_contained(tmp_path):
    z = tmp_path / "subs.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("course/alice/hw.ipynb", "{}")
        zf.writestr("course/bob/hw.ipynb", "{}")
        zf.writestr("../evil.ipynb", "{}")
        zf.writestr("/abs/evil.ipynb", "{}")
    dest = tmp_path / "x"
    dest.mkdir()
    safe_extract(str(z), str(dest))
    assert not (tmp_path / "evil.ipynb").exists()
    assert sorted(find_submissions(str(dest), "hw")) == ["alice", "bob"]


def test_a_killed_or_crashed_worker_still_leaves_rows(tmp_path):
    from coursekit.grading.jobs import load_result as _load_result

    tasks = [{"task": "t1", "max_score": 1.0}, {"task": "t2", "max_score": 2.0}]
    job = {"student": "s", "assignment": "a", "result_path": str(tmp_path / "r.json"),
           "sha256": "abc", "grader_key": "k"}
    # The worker finished t1, then hit the hard limit (killed by the parent).
    (tmp_path / "r.json").write_text(json.dumps({
        "student": "s", "assignment": "a", "complete": False, "notes": [],
        "tasks": [dict(tasks[0], score=1.0, status="ok", message=""),
                  dict(tasks[1], score=0.0, status="timeout", message="not run (time limit)")]}))
    res = _load_result(job, -9, True, tasks)
    assert [(t["score"], t["status"]) for t in res["tasks"]] == [(1.0, "ok"), (0.0, "timeout")]
    assert "hard time limit" in res["tasks"][1]["message"] and res["complete"]
    # A worker that crashed before writing anything: every task is a grader_error, none lost.
    os.remove(tmp_path / "r.json")
    res = _load_result(job, 1, False, tasks)
    assert [t["status"] for t in res["tasks"]] == ["grader_error", "grader_error"]
    assert all("exit code 1" in t["message"] for t in res["tasks"])
    assert json.loads((tmp_path / "r.json").read_text())["submission_sha256"] == "abc"
