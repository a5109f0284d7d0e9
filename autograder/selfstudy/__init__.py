"""Self-study: practice notebooks, ``mmqb check``, interview mode, spaced repetition, the Anki deck.

- :mod:`~autograder.selfstudy.workspace`: the learner's folder (notebooks, where the store lives), JupyterLab;
- :mod:`~autograder.selfstudy.store`: the one SQLite store of attempts, answers and review ratings;
- :mod:`~autograder.selfstudy.schedule`: the FSRS schedule of the review items;
- :mod:`~autograder.selfstudy.textlayout`: terminal text by display width (CJK characters take two columns);
- :mod:`~autograder.selfstudy.session`: ``mmqb review`` and ``mmqb interview`` in a terminal;
- :mod:`~autograder.selfstudy.client`: ``mmqb check``: grade (warm daemon, else in process), record, render;
- :mod:`~autograder.selfstudy.daemon`: the per-user warm grader; it answers with plain data;
- :mod:`~autograder.selfstudy.anki`: the bilingual Anki deck.

This package uses the engine (``autograder.engine``), the checks, the results and the topics;
nothing of the engine imports it.
"""
