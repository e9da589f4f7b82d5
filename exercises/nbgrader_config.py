"""nbgrader configuration of the d2lmods course.

Run nbgrader commands from this folder (``cd exercises && nbgrader generate_assignment modules``),
or grade with ``python -m autograder grade exercises --assignment modules``.
"""

import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "d2lmods"
# The library the course teaches with: "d2lmods" or "torch" (real PyTorch: the release imports
# torch, the visible checks and the grader run with it; the grading machine needs torch installed,
# e.g. pip install 'd2lmods[oracle]'). See exercises/README.md, "A PyTorch edition".
c.D2LCourse.library = "d2lmods"
# The course is wherever this file is, so a copied course (the demo) works as is.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# The gradebook URL: SQLite beside this file by default; any SQLAlchemy URL works, e.g.
# c.CourseDirectory.db_url = "postgresql://grader@localhost/d2lmods"

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# A student who deletes a test cell gets it back (nbgrader's own autograde and validate).
c.OverwriteCells.add_missing_cells = True
# Only for `nbgrader validate`/`autograde` if someone runs them: the course is graded by
# `python -m autograder grade`, which never runs student code in a kernel.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.LimitOutput.max_lines = 1000

# nbgrader's own generate_assignment (and formgrader's Generate button) write the release for that
# library: the grader's preprocessor comes first (autograder/edition.py). Without the grader
# installed, nbgrader still reads this file and generates the d2lmods edition.
try:
    from autograder.edition import configure
except ImportError:
    pass
else:
    configure(c)
