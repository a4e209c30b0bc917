"""nbgrader configuration for the course (instructor side).

solutions/ASSIGNMENT/ASSIGNMENT.ipynb  -- instructor versions (nbgrader's *source* directory)
homework/ASSIGNMENT/ASSIGNMENT.ipynb   -- generated student versions (nbgrader's *release* directory)
"""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "gaussians-mixtures-em"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "homework"
c.CourseDirectory.root = "."

# Re-insert grade cells a student deleted instead of marking them "needs manual grade".
c.OverwriteCells.add_missing_cells = True

# Each answer cell of solutions/ ends with its own `raise NotImplementedError("Task N: ...")` after
# END SOLUTION, so an unwritten function names its task (solutions/_build.py checks they all do).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
c.ExecutePreprocessor.timeout = 120

# Feedback pages show the autograded notebook: strip the hidden tests from it, as at release.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
