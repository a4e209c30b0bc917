"""The gradebook on a real PostgreSQL server (``.ci/run`` installs and starts one on loopback).

The URL comes from ``COURSEKIT_TEST_POSTGRES``. Without a server the test is skipped locally but
FAILS under CI (``CI=true``): the PostgreSQL path must really be exercised there.
"""

import csv
import os
import secrets
import shutil

import pytest

from adversarial.cases import CORRECT, WRONG, student_nb

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grading")]

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "fixtures", "course")
AID = "fx_mle"
URL = os.environ.get("COURSEKIT_TEST_POSTGRES",
                     "postgresql://coursekit:coursekit@127.0.0.1:5432/coursekit_test")


@pytest.fixture
def pg_schema():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        con = psycopg2.connect(URL, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL not reachable at {URL} under CI: {exc}")
        pytest.skip(f"no PostgreSQL server at {URL}")
    con.autocommit = True
    schema = "ck_" + secrets.token_hex(6)  # private schema: concurrent runs never collide
    with con.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in URL else "?"
    yield f"{URL}{sep}options=-csearch_path%3D{schema}"
    with con.cursor() as cur:
        cur.execute(f"DROP SCHEMA {schema} CASCADE")
    con.close()


def test_autograde_writes_the_gradebook_to_postgresql(tmp_path, pg_schema):
    import json

    from nbgrader.api import Gradebook

    from coursekit import cli
    from coursekit.grading.gradebook import normalize_url

    root = tmp_path / "course"
    shutil.copytree(FIXTURE, root)
    src = json.load(open(os.path.join(FIXTURE, "solutions", AID, f"{AID}.ipynb")))
    subs = tmp_path / "subs"
    for student, code in (("alice", CORRECT), ("bob", WRONG)):
        (subs / student).mkdir(parents=True)
        (subs / student / f"{AID}.ipynb").write_bytes(student_nb(src, code))
    (subs / "carl").mkdir()
    (subs / "carl" / f"{AID}.ipynb").write_text("{ broken")
    rc = cli.main(["--course", str(root), "autograde", AID, "--submissions", str(subs),
                   "--jobs", "2", "--timeout", "60", "--db", pg_schema, "--quiet"])
    assert rc == 0
    assert not (root / "gradebook.db").exists()  # nothing went to SQLite
    with open(root / "autograded" / AID / "grades.csv") as fh:
        rows = list(csv.DictReader(fh))
    with Gradebook(normalize_url(pg_schema), course_id="fixture") as gb:
        assert gb.engine.dialect.name == "postgresql"
        assert sorted(s.id for s in gb.students) == ["alice", "bob", "carl"]
        for r in rows:
            grade = gb.find_grade(r["part"], AID, AID, r["student"])
            assert grade.auto_score == pytest.approx(float(r["score"]))
        assert gb.find_submission(AID, "alice").score == pytest.approx(4.0)
        assert gb.find_submission(AID, "bob").score == 0
        assert gb.find_submission(AID, "carl").score == 0
