"""Cell constructors shared by the assignment sources."""

ASSIGNMENT_IDS = ("hw1_gaussian", "hw2_sampling", "hw3_kmeans", "hw4_em")


def md(grade_id, text):
    """Read-only markdown."""
    return {"kind": "md", "id": grade_id, "text": text}


def setup(grade_id, text):
    """Read-only code (imports, data)."""
    return {"kind": "setup", "id": grade_id, "text": text}


def answer(grade_id, text):
    """Autograded answer cell: the student's code goes between the solution markers."""
    return {"kind": "answer", "id": grade_id, "text": text}


def tests(grade_id, points, text):
    """Autograder test cell worth ``points`` (all or nothing)."""
    return {"kind": "tests", "id": grade_id, "points": points, "text": text}


def written(grade_id, points, text):
    """Manually graded markdown answer."""
    return {"kind": "written", "id": grade_id, "points": points, "text": text}


def hidden(comment, code):
    """A test cell that is all hidden but for a comment saying what it checks."""
    return f"# {comment}\n### BEGIN HIDDEN TESTS\nfrom coursekit import autograde as _ag\n{code.strip()}\n### END HIDDEN TESTS\n"
