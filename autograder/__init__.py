"""mmqb: a Jupyter-first question bank and autograder for multimodal deep learning."""

__version__ = "0.1.0"
