"""Safe, parallel autograding of nbgrader submissions (used by the ``coursekit`` command line).

Modules
-------
notebook   read a submission without trusting it; rebuild the gradable notebook from the source
sandbox    the kernel launcher: unprivileged user, resource limits, no network, hidden course files
worker     grade one submission in its own process (execute, score, feedback HTML)
runner     prove the grader, grade the submissions in parallel, write the results
jobs       one submission = one job: the function every executor calls (grade_job)
submissions  find submissions in folders, nbgrader's tree, Canvas/Moodle/Gradescope downloads
config     the course's settings (coursekit.toml): time zone, due dates, extensions, late policy
late       how late a submission is and what the late policy takes off
grades     an assignment's parts (tasks, tests, hand-graded answers) and a student's grade
manual     hand-graded scores in the gradebook (formgrader, or a CSV / the command line)
outputs    grades.csv, totals.csv, canvas.csv and feedback pages, from the stored results
feedback   the student's feedback page (notebook rendered offline, math as MathML)
gradebook  the nbgrader gradebook (SQLite or PostgreSQL), written by the parent process only
release    validate solutions and generate the student versions with nbgrader
report     summary table, plots and an HTML page from grades.csv
"""

#: Every value the ``status`` column of grades.csv can take, with its meaning.
STATUSES = {
    "ok": "the test cell passed",
    "failed": "the test cell raised an error (wrong answer, exception in the student's code)",
    "missing_cell": "the answer cell for this task is missing from the submission",
    "timeout": "the time limit per cell or per submission was reached",
    "memory": "the memory limit was reached (MemoryError)",
    "kernel_died": "the kernel exited or crashed (os._exit, segfault, killed) before this test ran",
    "output_limit": "the submission printed more output than allowed",
    "tampered": "the test cell reported success but did not run to its end",
    "invalid_notebook": "the file is empty, not UTF-8, not JSON or not a notebook",
    "wrong_assignment": "the notebook belongs to another assignment",
    "missing_notebook": "no notebook was found for this student",
    "grader_error": "the grader itself failed on this submission (see the log)",
    "manual": "a hand-graded part, graded (formgrader or coursekit manual)",
    "awaiting_manual_grade": "a hand-graded part not graded yet (its score is empty)",
    "late": "the late policy's penalty (a negative score)",
    "cutoff": "submitted after the late policy's cut-off: the whole score is taken off",
}
