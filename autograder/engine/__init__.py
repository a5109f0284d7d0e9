"""The grading engine: warm workers, sandboxed children, trusted verdicts."""
