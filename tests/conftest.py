"""Shared fixtures. TensorFlow must be silenced before anything imports it."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# `mmqb check` would start (or reuse) the per-user warm grader, which outlives the tests by its
# idle timeout; tests/selfstudy/test_daemon.py turns it back on for the tests that are about it.
os.environ["MMQB_NO_DAEMON"] = "1"

from autograder.topics import all_topics  # noqa: E402

TOPICS = all_topics()
SLUGS = [t.slug for t in TOPICS]
