"""The nbgrader course pipeline, along nbgrader's own seams.

``config`` (the course's ``nbgrader_config.py``), ``course`` (every path, the submissions to
grade, claims), ``gradebook`` (what ``nbgrader autograde`` records), ``outputs`` (autograded
notebook, feedback page, file modes), ``templates`` (the one Jinja2 renderer, shared with the
report), ``exports`` (rows, the CSV and the LMS grade export), ``autograde`` (the run that ties
them to the engine), ``feedback`` (pages again after manual grading), ``similarity`` (which
submissions are unusually alike).
"""
