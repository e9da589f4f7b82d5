"""The hidden half of the d2lmods course: checks, sandboxed runner and nbgrader glue.

Nothing in this package is released to students.  The pieces:

- :mod:`autograder.sandbox` runs one piece of untrusted code in a locked-down process;
- :mod:`autograder.probe` runs *inside* that process with one part's ``probe.py`` (the only
  grader files shipped in): it executes a student's solution cell and reports observations as
  signed plain JSON;
- :mod:`autograder.results` holds the grading records and their one vocabulary of statuses,
  categories and flags; :mod:`autograder.scan` looks at a cell for grader-facing code;
- :mod:`autograder.parts` holds each exercise part: its sandbox half (``probe.py``) beside its
  judge (``judge.py``), which draws secret inputs and judges the observations against a numpy
  reference, outside the student's process;
- :mod:`autograder.pipeline` grades one submission (``grade_submission``) and a batch;
- :mod:`autograder.course` talks to nbgrader (assignment, gradebook, feedback).

Run ``python -m autograder --help``.
"""

__version__ = "0.1.0"
