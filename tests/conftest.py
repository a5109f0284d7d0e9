"""Shared fixtures. TensorFlow must be silenced before anything imports it."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from autograder.topics import all_topics  # noqa: E402

TOPICS = all_topics()
SLUGS = [t.slug for t in TOPICS]
