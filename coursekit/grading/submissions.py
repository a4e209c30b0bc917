"""Find every submission in what the instructor downloaded, and say what could not be matched.

Accepted (a folder, or a zip of it; zips inside are opened too, up to three levels):

``folder``       ``STUDENT/ID.ipynb`` (or ``STUDENT/ID/ID.ipynb``, or the only notebook in
                 ``STUDENT/``)
``nbgrader``     nbgrader's ``submitted/STUDENT/ID/ID.ipynb`` with its ``timestamp.txt``
``canvas``       Canvas's "Download Submissions" zip: flat files
                 ``name[_late]_USERID_ATTACHMENTID_filename`` (``_late`` is Canvas's late flag;
                 a re-submitted file is renamed ``filename-1.ipynb`` by Canvas); with anonymous
                 grading ``[LATE_]anon_ANONYMOUSID_ATTACHMENTID_filename`` (canvas-lms
                 lib/content_zipper.rb; the anonymous id, five base58 characters, is the
                 student unless the mapping file's ``anonymous_id`` column maps it)
``moodle``       Moodle's "Download all submissions": ``Full Name_PARTICIPANT_assignsubmission_file_/``
                 folders (or the same prefix on flat file names)
``gradescope``   Gradescope's "Export Submissions": ``submission_metadata.yml`` and one
                 ``submission_ID/`` folder per submission (submitters, ``:created_at``)

A student with several attempts (files, folders) is graded on the latest (submission time, then
Canvas's attachment id, then the ``-N``/``(N)`` suffix); the others are listed in the manifest.
A *mapping file* (CSV with a ``student`` column and any of ``lms_id``, ``sid``, ``email``,
``name``, ``login``, ``anonymous_id``) turns LMS identities into the course's student ids; with
one, it is also the roster (students without a submission get ``missing_notebook`` rows) and a submission that
matches no row is *unmatched*. Unmatched files are listed (never silently dropped).

Submission times (used by the late policy): nbgrader's ``timestamp.txt``, Gradescope's
``:created_at``, the file time of a Moodle download (zip entries keep it), or a timestamps CSV
(``student,timestamp``) that overrides them. A Canvas download holds none (its files carry the
time the zip was made): its times come from the CSV only. Times without a zone are in the course's
time zone.
"""

import csv
import datetime as dt
import os
import re
import shutil
import zipfile

MAX_ZIP_BYTES = 2 * 1024**3
MAX_ZIP_DEPTH = 3
JUNK = ("__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db")

CANVAS_RE = re.compile(r"^(?P<name>[^_/]+)_(?:(?P<late>late|LATE)_)?(?P<user_id>\d+)_"
                       r"(?P<attachment_id>\d+)_(?P<filename>.+)$")
# Anonymous grading: no name and no user id, "anon_" and the submission's anonymous id instead
# (canvas-lms lib/content_zipper.rb get_filename; Anonymity.generate_id: SecureRandom.base58(5)).
CANVAS_ANON_RE = re.compile(r"^(?:(?P<late>late|LATE)_)?anon_(?P<anonymous_id>[A-Za-z0-9]+)_"
                            r"(?P<attachment_id>\d+)_(?P<filename>.+)$")
MOODLE_RE = re.compile(r"^(?P<name>.+?)_(?P<participant>\d+)_assignsubmission_"
                       r"(?P<plugin>[a-z]+)_(?P<filename>.*)$")
ATTEMPT_RE = re.compile(r"(?:-(\d+)| \((\d+)\))$")


class Submission:
    """One student's submission as found on disk."""

    def __init__(self, student, path=None, layout="folder", **info):
        self.student = student
        self.path = path
        self.layout = layout
        self.timestamp = info.pop("timestamp", None)          # aware datetime or None
        self.timestamp_source = info.pop("timestamp_source", "")
        self.info = info  # lms_id, name, email, sid, lms_late, attachment_id, note ...
        self.ignored = []  # (path, reason): earlier attempts, other notebooks

    def as_row(self, root=None):
        rel = (lambda p: os.path.relpath(p, root) if (p and root) else (p or ""))
        return {"student": self.student, "file": rel(self.path), "layout": self.layout,
                "submitted_at": self.timestamp.isoformat() if self.timestamp else "",
                "timestamp_source": self.timestamp_source,
                "lms_id": self.info.get("lms_id", ""), "name": self.info.get("name", ""),
                "lms_late": "yes" if self.info.get("lms_late") else "",
                "ignored": "; ".join(f"{rel(p)} ({why})" for p, why in self.ignored),
                "note": self.info.get("note", "")}


class Discovery:
    """The result of :func:`discover`."""

    def __init__(self, root, layout):
        self.root = root
        self.layout = layout
        self.submissions = {}   # student -> Submission
        self.unmatched = []     # (path, reason)
        self.unused_timestamps = []  # students of the timestamps file with no submission here

    def paths(self):
        return {s: sub.path for s, sub in self.submissions.items()}


# ---------------------------------------------------------------------------------------------
# Archives


def safe_extract(zip_path, dest, budget=None):
    """Extract a zip without following paths outside ``dest`` or exceeding a size budget.

    Entry times are kept as file times (a Moodle download's submission time). Returns the bytes
    written (shared ``budget``: a one-element list of the bytes still allowed).
    """
    budget = budget if budget is not None else [MAX_ZIP_BYTES]
    written = 0
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = info.filename
            parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
            if not parts or ".." in parts or name.startswith("/") or info.is_dir():
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                continue  # symlink entry
            if any(p in JUNK for p in parts):
                continue
            budget[0] -= info.file_size
            if budget[0] < 0:
                raise ValueError("the zip file expands to more than 2 GB")
            target = os.path.join(dest, *parts)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            written += info.file_size
            try:
                t = dt.datetime(*info.date_time).timestamp()
                os.utime(target, (t, t))
            except (ValueError, OverflowError, OSError):
                pass
    return written


def expand_nested_zips(root, budget=None, depth=1):
    """Open every zip under ``root`` into a folder of the same name without ``.zip``."""
    budget = budget if budget is not None else [MAX_ZIP_BYTES]
    if depth > MAX_ZIP_DEPTH:
        return
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in JUNK]
        for f in files:
            p = os.path.join(dirpath, f)
            if f.lower().endswith(".zip") and zipfile.is_zipfile(p):
                dest = p[:-4]
                if os.path.exists(dest):
                    dest = p + ".d"
                os.makedirs(dest)
                safe_extract(p, dest, budget)
                st = os.stat(p)
                os.utime(dest, (st.st_atime, st.st_mtime))
                os.remove(p)
                expand_nested_zips(dest, budget, depth + 1)


# ---------------------------------------------------------------------------------------------
# Times


def parse_time(text, tz):
    """A submission time as an aware datetime (``tz`` for times without a zone), or None."""
    if text is None or text == "":
        return None
    if isinstance(text, dt.datetime):
        value = text
    elif isinstance(text, dt.date):
        value = dt.datetime(text.year, text.month, text.day)
    else:
        from dateutil import parser

        s = str(text).strip()
        s = re.sub(r"\s+UTC$", "+00:00", s)  # nbgrader writes "... UTC"
        try:
            value = parser.parse(s)
        except (ValueError, OverflowError):
            raise ValueError(f"cannot read the time {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


def _file_time(path, tz):
    if os.path.isdir(path):  # a folder's time is its newest file's (folders are not in zips)
        times = [os.stat(os.path.join(d, f)).st_mtime for d, _, fs in os.walk(path) for f in fs]
        t = max(times) if times else os.stat(path).st_mtime
    else:
        t = os.stat(path).st_mtime
    # Zip entries hold local wall-clock times: read them back in the course's time zone.
    naive = dt.datetime.fromtimestamp(t)
    return naive.replace(tzinfo=tz)


# ---------------------------------------------------------------------------------------------
# Mapping (roster) file


MAPPING_ALIASES = {
    "student": ("student", "student_id", "username", "nbgrader_id"),
    "lms_id": ("lms_id", "canvas_id", "user_id", "id", "moodle_id", "participant_id",
               "gradescope_id"),
    "sid": ("sid", "sis_user_id", "sis_id", "student_number", "id_number"),
    "email": ("email", "e-mail", "mail"),
    "name": ("name", "full_name", "student_name"),
    "login": ("login", "sis_login_id", "canvas_name", "lms_name"),
    "section": ("section",),
    "anonymous_id": ("anonymous_id", "anon_id", "canvas_anonymous_id"),
}


def _norm_header(h):
    return re.sub(r"[\s]+", "_", (h or "").strip().lower())


def _norm_name(s):
    return re.sub(r"\s+", " ", (s or "").strip()).casefold()


class Mapping:
    """A roster: course student ids and the LMS identities that point to them."""

    def __init__(self, path):
        self.path = path
        self.rows = []
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames:
                raise ValueError(f"mapping file {path}: empty")
            cols = {}
            for field, aliases in MAPPING_ALIASES.items():
                for h in reader.fieldnames:
                    if _norm_header(h) in aliases and field not in cols:
                        cols[field] = h
            if "student" not in cols:
                raise ValueError(f"mapping file {path}: needs a 'student' column (the course's "
                                 f"student id); its columns are {', '.join(reader.fieldnames)}")
            if len(cols) < 2:
                raise ValueError(f"mapping file {path}: needs at least one of the columns "
                                 "lms_id, sid, email, name, login, anonymous_id besides "
                                 "'student'")
            for n, raw in enumerate(reader, start=2):
                row = {k: (raw.get(h) or "").strip() for k, h in cols.items()}
                if not row["student"]:
                    raise ValueError(f"mapping file {path}, line {n}: empty student id")
                check_student_id(row["student"], f"mapping file {path}, line {n}")
                self.rows.append(row)
        self.students = [r["student"] for r in self.rows]
        dup = sorted({s for s in self.students if self.students.count(s) > 1})
        if dup:
            raise ValueError(f"mapping file {path}: student ids listed twice: {', '.join(dup)}")

    def row(self, student):
        return next((r for r in self.rows if r["student"] == student), {})

    def match(self, ident):
        """The student id for an LMS identity dict, or None."""
        anon = (ident.get("anonymous_id") or "").strip()
        if anon:
            # Canvas's anonymous ids are base58: case matters.
            hits = [r for r in self.rows if r.get("anonymous_id") == anon]
            if len(hits) == 1:
                return hits[0]["student"]
        for field in ("lms_id", "sid", "email", "login"):
            value = (ident.get(field) or "").strip()
            if value:
                hits = [r for r in self.rows if r.get(field) and r[field].casefold() == value.casefold()]
                if len(hits) == 1:
                    return hits[0]["student"]
        name = _norm_name(ident.get("name"))
        if name:
            hits = [r for r in self.rows if _norm_name(r.get("name")) == name]
            if len(hits) == 1:
                return hits[0]["student"]
        key = ident.get("key")
        if key and key in self.students:
            return key
        return None


STUDENT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$")


def check_student_id(student, where):
    if not STUDENT_ID_RE.match(student):
        raise ValueError(f"{where}: student id {student!r} must be letters, digits and . _ @ + - "
                         "(it names files)")


def slug(text):
    s = re.sub(r"[^A-Za-z0-9]+", "_", text.strip()).strip("_").lower()
    return s or "student"


# ---------------------------------------------------------------------------------------------
# Layouts: each yields candidates (identity, notebook-or-folder path, extra info)


def _visible(entries):
    return sorted(e for e in entries if not e.startswith(".") and e not in JUNK)


def _notebooks_in(path):
    if os.path.isfile(path):
        return [path] if path.endswith(".ipynb") else []
    out = []
    for dirpath, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in JUNK and not d.startswith("."))
        out.extend(os.path.join(dirpath, f) for f in sorted(files)
                   if f.endswith(".ipynb") and not f.startswith("."))
    return out


def _attempt_number(path):
    stem = os.path.basename(path)[:-len(".ipynb")] if path.endswith(".ipynb") else os.path.basename(path)
    m = ATTEMPT_RE.search(stem)
    return int(m.group(1) or m.group(2)) if m else 0


def _pick_notebook(path, assignment):
    """The notebook to grade in a candidate (file or folder), the others, and a note."""
    nbs = _notebooks_in(path)
    if not nbs:
        others = [] if os.path.isfile(path) else [
            os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs]
        what = os.path.basename(path) if os.path.isfile(path) else \
            ", ".join(os.path.basename(o) for o in others[:5]) or "an empty folder"
        return None, [], f"no notebook submitted (found: {what})"
    exact = [p for p in nbs if os.path.basename(p) == f"{assignment}.ipynb"]
    named = [p for p in nbs if re.fullmatch(re.escape(assignment) + r"(?:-\d+| \(\d+\))?\.ipynb",
                                             _canvas_filename(os.path.basename(p)))]
    if exact:
        chosen = exact[0] if len(exact) == 1 else max(exact, key=lambda p: os.stat(p).st_mtime)
    elif named:
        chosen = max(named, key=lambda p: (_attempt_number(_canvas_filename(os.path.basename(p))),
                                           os.stat(p).st_mtime))
    elif len(nbs) == 1:
        chosen = nbs[0]
    else:
        return None, nbs, (f"several notebooks and none named {assignment}.ipynb: "
                           + ", ".join(os.path.basename(p) for p in nbs[:5]))
    return chosen, [p for p in nbs if p != chosen], ""


def _canvas_match(name):
    """The match of a Canvas download's file name (anonymous grading's or the usual), or None."""
    return CANVAS_ANON_RE.match(name) or CANVAS_RE.match(name)


def _canvas_filename(name):
    m = _canvas_match(name)
    return m.group("filename") if m else name


def _layout(root):
    entries = _visible(os.listdir(root))
    if os.path.isdir(os.path.join(root, "submitted")):
        return "nbgrader"
    if "submission_metadata.yml" in entries:
        return "gradescope"
    if any(_canvas_match(e) for e in entries):
        return "canvas"
    if any(MOODLE_RE.match(e) for e in entries):
        return "moodle"
    return "folder"


def _descend_wrappers(root, assignment):
    """A zip that wrapped everything in one folder (``course/``, ``hw1 submissions/``)."""
    for _ in range(4):
        entries = _visible(os.listdir(root))
        dirs = [e for e in entries if os.path.isdir(os.path.join(root, e))
                and not os.path.islink(os.path.join(root, e))]
        if len(dirs) != 1 or len(entries) != 1 or _layout(root) != "folder":
            return root
        inner = os.path.join(root, dirs[0])
        inner_entries = _visible(os.listdir(inner))
        inner_dirs = [e for e in inner_entries if os.path.isdir(os.path.join(inner, e))]
        if f"{assignment}.ipynb" in inner_entries or assignment in inner_dirs:
            return root  # the one folder is a student's
        if _layout(inner) == "folder" and not inner_dirs:
            return root  # a student's folder with a renamed notebook
        root = inner
    return root


def _candidates_folder(root, assignment, tz, unmatched):
    for e in _visible(os.listdir(root)):
        p = os.path.join(root, e)
        if os.path.islink(p) and os.path.isdir(p):
            unmatched.append((p, "a symbolic link to a folder (not followed)"))
            continue
        if os.path.isdir(p):
            yield {"key": e}, p, {}
        else:
            unmatched.append((p, "a file outside any student folder"))


def _candidates_nbgrader(root, assignment, tz, unmatched):
    sub = os.path.join(root, "submitted")
    for e in _visible(os.listdir(sub)):
        p = os.path.join(sub, e)
        if not os.path.isdir(p):
            unmatched.append((p, "a file outside any student folder"))
            continue
        adir = os.path.join(p, assignment)
        extra = {}
        ts_file = os.path.join(adir, "timestamp.txt")
        if os.path.isfile(ts_file):
            with open(ts_file, encoding="utf-8", errors="replace") as fh:
                extra["timestamp"] = parse_time(fh.read().strip(), tz)
            extra["timestamp_source"] = "nbgrader timestamp.txt"
        if os.path.isdir(adir):
            yield {"key": e}, adir, extra
        else:
            yield {"key": e}, p, extra


def _candidates_canvas(root, assignment, tz, unmatched):
    for e in _visible(os.listdir(root)):
        p = os.path.join(root, e)
        m = _canvas_match(e)
        if not m:
            unmatched.append((p, "not a Canvas submission file name (name_USERID_FILEID_file, "
                                 "or anon_ANONYMOUSID_FILEID_file)"))
            continue
        if "anonymous_id" in m.groupdict():
            # Anonymous grading: the anonymous id is all the download says about the student.
            ident = {"key": m.group("anonymous_id"), "anonymous_id": m.group("anonymous_id")}
        else:
            ident = {"key": m.group("name").lower(), "lms_id": m.group("user_id"),
                     "login": m.group("name")}
        # No submission time: Canvas writes its zip entries without one, so they carry the time
        # the zip was made (canvas-lms lib/content_zipper.rb), which would make everyone late.
        extra = {"lms_late": bool(m.group("late")), "attachment_id": int(m.group("attachment_id"))}
        yield ident, p, extra


def _candidates_moodle(root, assignment, tz, unmatched):
    for e in _visible(os.listdir(root)):
        p = os.path.join(root, e)
        m = MOODLE_RE.match(e)
        if not m:
            unmatched.append((p, "not a Moodle submission name (Full Name_ID_assignsubmission_...)"))
            continue
        if m.group("plugin") != "file":
            unmatched.append((p, f"a Moodle '{m.group('plugin')}' submission, not a file"))
            continue
        ident = {"key": slug(m.group("name")), "lms_id": m.group("participant"),
                 "name": m.group("name")}
        yield ident, p, {"timestamp": _file_time(p, tz), "timestamp_source": "Moodle file time"}


class _LenientLoader:
    """PyYAML's SafeLoader that reads Gradescope's Ruby tags (``!ruby/object:BigDecimal``)."""

    @staticmethod
    def load(text):
        import yaml

        class Loader(yaml.SafeLoader):
            pass

        def unknown(loader, suffix, node):
            if isinstance(node, yaml.MappingNode):
                return loader.construct_mapping(node, deep=True)
            if isinstance(node, yaml.SequenceNode):
                return loader.construct_sequence(node, deep=True)
            return loader.construct_scalar(node)

        Loader.add_multi_constructor("!", unknown)
        return yaml.load(text, Loader=Loader)


def _candidates_gradescope(root, assignment, tz, unmatched):
    with open(os.path.join(root, "submission_metadata.yml"), encoding="utf-8") as fh:
        meta = _LenientLoader.load(fh.read()) or {}
    if not isinstance(meta, dict):
        raise ValueError("submission_metadata.yml is not a mapping of submissions")
    seen = set()
    for folder, record in sorted(meta.items(), key=lambda kv: str(kv[0])):
        folder = str(folder)
        p = os.path.join(root, folder)
        seen.add(folder)
        if not os.path.exists(p):
            unmatched.append((p, "listed in submission_metadata.yml but not in the export"))
            continue
        record = record if isinstance(record, dict) else {}
        submitters = record.get(":submitters") or record.get("submitters") or [{}]
        created = record.get(":created_at") or record.get("created_at")
        ts = parse_time(created, tz) if created else None
        for who in submitters:  # a group submission counts for each member
            who = who if isinstance(who, dict) else {}
            name = str(who.get(":name") or who.get("name") or "")
            sid = str(who.get(":sid") or who.get("sid") or "")
            email = str(who.get(":email") or who.get("email") or "")
            key = sid or (email.split("@")[0] if email else "") or slug(name) or folder
            # No lms_id: the folder's number is Gradescope's submission id, not a user's (as a
            # Canvas user id it matched the wrong roster row and went into canvas.csv's ID).
            ident = {"key": slug(key) if not STUDENT_ID_RE.match(key) else key, "sid": sid,
                     "email": email, "name": name}
            yield ident, p, {"timestamp": ts, "timestamp_source": "Gradescope :created_at"
                             if ts else ""}
    for e in _visible(os.listdir(root)):
        if e not in seen and e != "submission_metadata.yml":
            unmatched.append((os.path.join(root, e), "not listed in submission_metadata.yml"))


LAYOUTS = {"folder": _candidates_folder, "nbgrader": _candidates_nbgrader,
           "canvas": _candidates_canvas, "moodle": _candidates_moodle,
           "gradescope": _candidates_gradescope}


def read_timestamps(path, tz):
    """``student,timestamp`` CSV -> {student: aware datetime}."""
    out = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        heads = {_norm_header(h): h for h in reader.fieldnames or []}
        s_col = next((heads[h] for h in ("student", "student_id", "username") if h in heads), None)
        t_col = next((heads[h] for h in ("timestamp", "submitted_at", "submitted", "time")
                      if h in heads), None)
        if not s_col or not t_col:
            raise ValueError(f"timestamps file {path}: needs the columns student and timestamp")
        for n, row in enumerate(reader, start=2):
            try:
                out[row[s_col].strip()] = parse_time(row[t_col], tz)
            except ValueError as exc:
                raise ValueError(f"timestamps file {path}, line {n}: {exc}") from None
    return out


def discover(source, assignment, workdir, mapping=None, timestamps=None, tz=dt.timezone.utc):
    """Find the submissions of ``assignment`` in ``source`` (folder or zip).

    ``workdir`` is a private scratch folder (zips are extracted there). ``mapping`` a
    :class:`Mapping` or None, ``timestamps`` a {student: datetime} override. Returns a
    :class:`Discovery`.
    """
    source = os.path.abspath(source)
    if not os.path.exists(source):
        raise FileNotFoundError(f"--submissions {source}: no such file or folder")
    budget = [MAX_ZIP_BYTES]
    if os.path.isfile(source):
        if not zipfile.is_zipfile(source):
            raise ValueError(f"--submissions {source}: not a folder or a zip file")
        root = os.path.join(workdir, "unzipped")
        os.makedirs(root, mode=0o700)
        safe_extract(source, root, budget)
        expand_nested_zips(root, budget)
    else:
        root = source
        if _has_zips(root):
            # Open the zips inside in a private copy: the instructor's folder is never changed.
            copy = os.path.join(workdir, "copied")
            shutil.copytree(root, copy, symlinks=True)
            expand_nested_zips(copy, budget)
            root = copy
    root = _descend_wrappers(root, assignment)
    layout = _layout(root)
    found = Discovery(root, layout)
    by_student = {}
    cands_all = list(LAYOUTS[layout](root, assignment, tz, found.unmatched))
    # Two LMS users with the same name token (two "smithjohn"s) stay two students.
    ids_per_key = {}
    for ident, _, _ in cands_all:
        ids_per_key.setdefault(ident["key"], set()).add(ident.get("lms_id") or "")
    for ident, path, extra in cands_all:
        if mapping is None and len(ids_per_key[ident["key"]]) > 1 and ident.get("lms_id"):
            ident = dict(ident, key=f"{ident['key']}_{ident['lms_id']}")
        if mapping is not None:
            student = mapping.match(ident)
            if student is None:
                desc = ", ".join(f"{k}={v}" for k, v in ident.items() if v and k != "key")
                why = f"matches no row of the mapping file ({desc or ident['key']})"
                if ident.get("anonymous_id") and not any(r.get("anonymous_id")
                                                         for r in mapping.rows):
                    why += ("; an anonymous Canvas submission: give the mapping file an "
                            "anonymous_id column, or grade without one (the anonymous id is "
                            "then the student)")
                found.unmatched.append((path, why))
                continue
        else:
            student = ident["key"]
            if not STUDENT_ID_RE.match(student):
                student = slug(student)
        by_student.setdefault(student, []).append((ident, path, extra))

    for student, cands in sorted(by_student.items()):
        # Latest attempt first: submission time, Canvas attachment id, -N suffix.
        def order(c):
            ident, path, extra = c
            ts = extra.get("timestamp")
            return (ts.timestamp() if ts else float("-inf"), extra.get("attachment_id", 0),
                    _attempt_number(path))

        cands.sort(key=order, reverse=True)
        if layout == "canvas":
            # Canvas lists every file of a submission flat: the notebooks are the candidates.
            nb_cands = [c for c in cands if c[1].endswith(".ipynb") or os.path.isdir(c[1])]
            other = [c for c in cands if c not in nb_cands]
            cands = nb_cands or other
        ident, path, extra = cands[0]
        chosen, others, note = _pick_notebook(path, assignment)
        sub = Submission(student, chosen, layout, timestamp=extra.get("timestamp"),
                         timestamp_source=extra.get("timestamp_source", ""),
                         lms_id=ident.get("lms_id", ""), name=ident.get("name", ""),
                         email=ident.get("email", ""), sid=ident.get("sid", ""),
                         lms_late=extra.get("lms_late", False), note=note)
        for p in others:
            sub.ignored.append((p, "another notebook of this submission"))
        for _, p, _ in cands[1:]:
            sub.ignored.append((p, "an earlier attempt"))
        if chosen is None and others:
            for p in others:
                found.unmatched.append((p, f"{student}: {note}"))
        found.submissions[student] = sub
    if mapping is not None:
        for student in mapping.students:
            if student not in found.submissions:
                row = mapping.row(student)
                found.submissions[student] = Submission(
                    student, None, layout, name=row.get("name", ""), lms_id=row.get("lms_id", ""),
                    note="no submission found for this student of the mapping file")
    for student, sub in found.submissions.items():
        if mapping is not None:
            row = mapping.row(student)
            for k in ("name", "lms_id", "sid", "email", "login", "section"):
                if row.get(k) and not sub.info.get(k):
                    sub.info[k] = row[k]
        if timestamps and student in timestamps:
            sub.timestamp = timestamps[student]
            sub.timestamp_source = "timestamps file"
    # A time for no student found here (a typo in the file?) must not vanish unnoticed.
    found.unused_timestamps = sorted(set(timestamps or ()) - set(found.submissions))
    return found


def _has_zips(root):
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in JUNK]
        if any(f.lower().endswith(".zip") for f in files):
            return True
    return False


def write_manifest(discovery, out):
    """``submissions.csv`` (what is graded, from where, when) and ``unmatched.csv``."""
    rows = [s.as_row(discovery.root) for _, s in sorted(discovery.submissions.items())]
    fields = ["student", "file", "layout", "submitted_at", "timestamp_source", "lms_id", "name",
              "lms_late", "ignored", "note"]
    with open(os.path.join(out, "submissions.csv"), "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    path = os.path.join(out, "unmatched.csv")
    if discovery.unmatched:
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["file", "reason"])
            for p, why in discovery.unmatched:
                w.writerow([os.path.relpath(p, discovery.root), why])
    elif os.path.exists(path):
        os.remove(path)


__all__ = ["discover", "Discovery", "Submission", "Mapping", "read_timestamps", "parse_time",
           "safe_extract", "write_manifest"]
