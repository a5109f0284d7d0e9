"""nbgrader configuration of the mmqb course (the repository root is the course folder)."""

import os

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

# TensorFlow writes to stderr at import unless silenced, and nbgrader scores a graded cell
# with anything on stderr as 0. The kernels nbgrader starts inherit this environment.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "mmqb"

# A TensorFlow import alone takes 3-5 s, and much longer on a busy 2-core machine;
# nbgrader's default of 30 s per cell is too short.
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# mmqb autograde reads its engine options here (the command line overrides them), and the
# gradebook URL and course paths from CourseDirectory above, as nbgrader does.
c.Mmqb.workers = 2            # warm grading workers of the local pool
c.Mmqb.timeout = 120.0        # wall-clock seconds per submission (CPU: twice that)
c.Mmqb.memory_mib = 2048      # address space per submission beyond TensorFlow
# c.Mmqb.scheduler = "tls://host:8786"                     # grade on a dask.distributed cluster (TLS only:
# c.Mmqb.cluster_credentials = "/path/to/credentials"      #  `mmqb cluster-credentials DIR` makes these)
# c.CourseDirectory.db_url = "postgresql://user@host/mmqb"  # another gradebook (default: gradebook.db)
# c.LateSubmissionPlugin.penalty_method = "zero"           # nbgrader's late penalty, applied by mmqb too
