"""Safe, parallel autograding of nbgrader submissions (used by the ``coursekit`` command line).

Modules
-------
notebook   read a submission without trusting it; rebuild the gradable notebook from the source
sandbox    the kernel launcher: unprivileged user, resource limits, no network, hidden course files
worker     grade one submission in its own process (execute, score, feedback HTML)
runner     find submissions, grade them in parallel, write grades.csv and the gradebook
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
}
