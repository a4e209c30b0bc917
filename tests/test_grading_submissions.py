"""Finding submissions in LMS downloads (Canvas, Moodle, Gradescope), nbgrader's tree and plain
folders: who submitted which file when, what was ignored and what could not be matched.

The archives are built the way each LMS names its downloads (file-name conventions from their
documentation and from nbgrader's/Otter-Grader's importers); nothing here runs a kernel.
"""

import datetime as dt
import io
import os
import zipfile
from zoneinfo import ZoneInfo

import pytest

from coursekit.grading.submissions import Mapping, discover, read_timestamps, write_manifest

AID = "hw1_gaussian"
TZ = ZoneInfo("Europe/Berlin")
NB = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def _zip(path, entries):
    """entries: (name, bytes, (Y, M, D, h, m, s) or None)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, when in entries:
            info = zipfile.ZipInfo(name, date_time=when or (2025, 10, 10, 12, 0, 0))
            zf.writestr(info, data)
    return str(path)


def _nested(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def _rel(found):
    return {s: (os.path.basename(sub.path) if sub.path else None)
            for s, sub in found.submissions.items()}


def test_canvas_flat_zip_with_late_flag_attempts_and_a_nested_zip(tmp_path):
    z = _zip(tmp_path / "submissions.zip", [
        ("lovelaceada_12345_67890_hw1_gaussian.ipynb", NB, (2025, 10, 10, 23, 0, 0)),
        # Ben re-submitted: Canvas renamed the second upload and gave it a larger attachment id.
        ("babbagecharles_late_22222_70001_hw1_gaussian.ipynb", NB, (2025, 10, 11, 9, 0, 0)),
        ("babbagecharles_late_22222_70002_hw1_gaussian-1.ipynb", NB, (2025, 10, 11, 10, 0, 0)),
        # A zip handed in instead of a notebook: opened, its notebook graded.
        ("hoppergrace_33333_70003_my_work.zip",
         _nested([("my_work/hw1_gaussian.ipynb", NB), ("my_work/notes.txt", b"x")]), None),
        # Only a PDF: a student without a notebook, not a dropped file.
        ("turingalan_44444_70004_hw1.pdf", b"%PDF", None),
        ("README.txt", b"not a submission", None),
    ])
    found = discover(z, AID, str(tmp_path / "work"), tz=TZ)
    assert found.layout == "canvas"
    assert _rel(found) == {"lovelaceada": "lovelaceada_12345_67890_hw1_gaussian.ipynb",
                           "babbagecharles": "babbagecharles_late_22222_70002_hw1_gaussian-1.ipynb",
                           "hoppergrace": "hw1_gaussian.ipynb", "turingalan": None}
    ben = found.submissions["babbagecharles"]
    assert ben.info["lms_late"] and ben.info["lms_id"] == "22222"
    # Canvas's zip entries carry the time the zip was made, not the submission time: no time is
    # taken from them (the late policy then needs --timestamps).
    assert ben.timestamp is None and ben.timestamp_source == ""
    assert [why for _, why in ben.ignored] == ["an earlier attempt"]
    assert "no notebook submitted (found: turingalan_44444_70004_hw1.pdf)" in \
        found.submissions["turingalan"].info["note"]
    assert [(os.path.basename(p), why) for p, why in found.unmatched] == [
        ("README.txt", "not a Canvas submission file name (name_USERID_FILEID_file, "
                       "or anon_ANONYMOUSID_FILEID_file)")]
    out = tmp_path / "out"
    out.mkdir()
    write_manifest(found, str(out))
    text = (out / "submissions.csv").read_text()
    assert "babbagecharles" in text and "an earlier attempt" in text
    assert "README.txt" in (out / "unmatched.csv").read_text()


def test_canvas_same_name_token_two_users(tmp_path):
    z = _zip(tmp_path / "s.zip", [("smithjohn_1_10_hw1_gaussian.ipynb", NB, None),
                                  ("smithjohn_2_11_hw1_gaussian.ipynb", NB, None)])
    assert sorted(discover(z, AID, str(tmp_path / "w")).submissions) == ["smithjohn_1",
                                                                          "smithjohn_2"]


def test_canvas_anonymous_grading(tmp_path):
    """Canvas with anonymous grading: ``[LATE_]anon_ANONYMOUSID_FILEID_file`` (canvas-lms
    lib/content_zipper.rb get_filename; the anonymous id is five base58 characters). Without a
    mapping the anonymous id is the student; with one, its anonymous_id column maps it."""
    z = _zip(tmp_path / "s.zip", [
        ("anon_Ab3kZ_70001_hw1_gaussian.ipynb", NB, None),
        ("anon_Ab3kZ_70005_hw1_gaussian-1.ipynb", NB, None),   # a re-submission
        ("LATE_anon_7xQpR_70002_hw1_gaussian.ipynb", NB, None),
        ("anon_12345_70003_hw1_gaussian.ipynb", NB, None),      # an all-digit anonymous id
    ])
    found = discover(z, AID, str(tmp_path / "w"))
    assert found.layout == "canvas" and found.unmatched == []
    assert _rel(found) == {"Ab3kZ": "anon_Ab3kZ_70005_hw1_gaussian-1.ipynb",
                           "7xQpR": "LATE_anon_7xQpR_70002_hw1_gaussian.ipynb",
                           "12345": "anon_12345_70003_hw1_gaussian.ipynb"}
    assert found.submissions["7xQpR"].info["lms_late"]
    assert not found.submissions["Ab3kZ"].info["lms_late"]
    assert found.submissions["12345"].info["lms_id"] == ""  # not a Canvas user id
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_id,anonymous_id\nada,101,Ab3kZ\nben,102,7xQpR\n"
                      "cy,103,12345\ndora,104,ab3kz\n")
    found = discover(z, AID, str(tmp_path / "w2"), mapping=Mapping(str(roster)))
    assert found.unmatched == []
    assert {s: sub.info.get("lms_id") for s, sub in found.submissions.items()
            if sub.path} == {"ada": "101", "ben": "102", "cy": "103"}
    assert found.submissions["dora"].path is None  # base58: "ab3kz" is not "Ab3kZ"


def test_moodle_folders_and_mapping_file(tmp_path):
    z = _zip(tmp_path / "moodle.zip", [
        ("Ada Lovelace_1001_assignsubmission_file_/hw1_gaussian.ipynb", NB, (2025, 10, 9, 8, 0, 0)),
        ("Charles Babbage_1002_assignsubmission_file_/hw1_gaussian (1).ipynb", NB, None),
        ("Charles Babbage_1002_assignsubmission_onlinetext_/onlinetext.html", b"<p>hi</p>", None),
        ("Mallory Intruder_1999_assignsubmission_file_/hw1_gaussian.ipynb", NB, None),
    ])
    roster = tmp_path / "roster.csv"
    roster.write_text("student,name,lms_id,email\nada,Ada Lovelace,,ada@uni.example\n"
                      "charles,,1002,\ngrace,Grace Hopper,1003,\n")
    found = discover(z, AID, str(tmp_path / "w"), mapping=Mapping(str(roster)), tz=TZ)
    assert found.layout == "moodle"
    assert _rel(found) == {"ada": "hw1_gaussian.ipynb", "charles": "hw1_gaussian (1).ipynb",
                           "grace": None}
    assert found.submissions["ada"].timestamp == dt.datetime(2025, 10, 9, 8, 0, tzinfo=TZ)
    reasons = sorted(why for _, why in found.unmatched)
    assert reasons[0] == "a Moodle 'onlinetext' submission, not a file"
    assert reasons[1].startswith("matches no row of the mapping file (lms_id=1999, "
                                 "name=Mallory Intruder)")
    assert "no submission found" in found.submissions["grace"].info["note"]


def test_gradescope_export_with_metadata(tmp_path):
    meta = """
submission_101:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@uni.example
  :created_at: 2025-10-10 21:05:00.000000000 +02:00
  :score: !ruby/object:BigDecimal 18:0.13e2
  :history: []
submission_102:
  :submitters:
  - :name: Charles Babbage
    :sid: '1791'
    :email: cb@uni.example
  - :name: Grace Hopper
    :sid: '1906'
    :email: gh@uni.example
  :created_at: 2025-10-11 01:00:00.000000000 +02:00
"""
    z = _zip(tmp_path / "gs.zip", [
        ("assignment_9_export/submission_metadata.yml", meta.encode(), None),
        ("assignment_9_export/submission_101/hw1_gaussian.ipynb", NB, None),
        ("assignment_9_export/submission_102/hw1_gaussian.ipynb", NB, None),
        ("assignment_9_export/submission_103/hw1_gaussian.ipynb", NB, None),
    ])
    found = discover(z, AID, str(tmp_path / "w"), tz=TZ)
    assert found.layout == "gradescope"
    assert sorted(found.submissions) == ["1791", "1815", "1906"]  # the group counts for both
    assert found.submissions["1815"].timestamp == dt.datetime(
        2025, 10, 10, 19, 5, tzinfo=dt.timezone.utc)
    assert [(os.path.basename(p), why) for p, why in found.unmatched] == [
        ("submission_103", "not listed in submission_metadata.yml")]


def test_nbgrader_tree_with_timestamps_and_a_timestamps_file(tmp_path):
    sub = tmp_path / "course" / "submitted"
    for student, ts in (("ada", "2025-10-10 20:00:00.000000 UTC"), ("ben", None)):
        d = sub / student / AID
        d.mkdir(parents=True)
        (d / f"{AID}.ipynb").write_bytes(NB)
        if ts:
            (d / "timestamp.txt").write_text(ts)
    found = discover(str(tmp_path / "course"), AID, str(tmp_path / "w"), tz=TZ)
    assert found.layout == "nbgrader"
    assert found.submissions["ada"].timestamp == dt.datetime(2025, 10, 10, 20, 0,
                                                             tzinfo=dt.timezone.utc)
    assert found.submissions["ben"].timestamp is None
    stamps = tmp_path / "times.csv"
    stamps.write_text("student,timestamp\nben,2025-10-12 09:30\n")
    found = discover(str(tmp_path / "course"), AID, str(tmp_path / "w2"), tz=TZ,
                     timestamps=read_timestamps(str(stamps), TZ))
    assert found.submissions["ben"].timestamp == dt.datetime(2025, 10, 12, 9, 30, tzinfo=TZ)
    assert found.submissions["ben"].timestamp_source == "timestamps file"


def test_plain_folders_wrapped_zip_and_ambiguous_notebooks(tmp_path):
    z = _zip(tmp_path / "f.zip", [
        ("collected/ada/hw1_gaussian.ipynb", NB, None),
        ("collected/ben/hw1 copy.ipynb", NB, None),
        ("collected/cy/scratch.ipynb", NB, None),
        ("collected/cy/other.ipynb", NB, None),
        ("collected/stray.ipynb", NB, None),
    ])
    found = discover(z, AID, str(tmp_path / "w"))
    assert _rel(found) == {"ada": "hw1_gaussian.ipynb", "ben": "hw1 copy.ipynb", "cy": None}
    assert "several notebooks and none named hw1_gaussian.ipynb" in \
        found.submissions["cy"].info["note"]
    unmatched = sorted((os.path.basename(p), why.split(":")[0]) for p, why in found.unmatched)
    assert unmatched == [("other.ipynb", "cy"), ("scratch.ipynb", "cy"),
                         ("stray.ipynb", "a file outside any student folder")]


def test_a_folder_with_zips_is_never_changed(tmp_path):
    src = tmp_path / "downloads"
    src.mkdir()
    (src / "ada_1_2_hw1_gaussian.zip").write_bytes(_nested([("hw1_gaussian.ipynb", NB)]))
    before = sorted(os.listdir(src))
    found = discover(str(src), AID, str(tmp_path / "w"))
    assert _rel(found) == {"ada": "hw1_gaussian.ipynb"}
    assert sorted(os.listdir(src)) == before


def test_bad_mapping_files(tmp_path):
    bad = tmp_path / "m.csv"
    bad.write_text("name,email\nAda,a@b\n")
    with pytest.raises(ValueError, match="needs a 'student' column"):
        Mapping(str(bad))
    bad.write_text("student\nada\n")
    with pytest.raises(ValueError, match="at least one of the columns"):
        Mapping(str(bad))
    bad.write_text("student,email\nada,a@b\nada,c@d\n")
    with pytest.raises(ValueError, match="listed twice: ada"):
        Mapping(str(bad))
    bad.write_text("student,email\n../evil,a@b\n")
    with pytest.raises(ValueError, match="line 2: student id '../evil'"):
        Mapping(str(bad))


def test_zip_bomb_and_escape_are_refused(tmp_path):
    from coursekit.grading import submissions

    z = _zip(tmp_path / "s.zip", [("../evil.ipynb", NB, None), ("/abs/evil.ipynb", NB, None),
                                  ("ok/hw1_gaussian.ipynb", NB, None)])
    found = discover(z, AID, str(tmp_path / "w"))
    assert _rel(found) == {"ok": "hw1_gaussian.ipynb"}
    assert not (tmp_path / "evil.ipynb").exists()
    with pytest.raises(ValueError, match="more than 2 GB"):
        submissions.safe_extract(z, str(tmp_path / "x"), budget=[10])
