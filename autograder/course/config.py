"""A course's configuration, read nbgrader's way from its ``nbgrader_config.py``.

The engine's options are the traitlets :class:`~autograder.engine.settings.Mmqb`
(``c.Mmqb.workers = 4``); course paths
and the gradebook URL come from nbgrader's own :class:`nbgrader.coursedir.CourseDirectory`
(``c.CourseDirectory.db_url``, ``directory_structure``, ``submitted_directory`` ...), so a
course configured for nbgrader is graded by mmqb without extra flags. The command line
overrides both.
"""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.engine.settings import Mmqb

CONFIG_FILE = "nbgrader_config.py"


def load_config(course: Path) -> Config:
    """The traitlets config of ``course/nbgrader_config.py`` (empty when there is none).

    ``CourseDirectory.root`` defaults to ``course`` (nbgrader's default is the working
    directory, which is where nbgrader is run from: the course folder).
    """
    course = Path(course).resolve()
    config = Config()
    if (course / CONFIG_FILE).is_file():
        config = PyFileConfigLoader(CONFIG_FILE, path=str(course)).load_config()
    if "root" not in config.CourseDirectory:
        config.CourseDirectory.root = str(course)
    return config


def course_directory(config: Config):
    """nbgrader's ``CourseDirectory`` for ``config``."""
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=config)


def settings(config: Config) -> Mmqb:
    """The :class:`Mmqb` settings of ``config``."""
    return Mmqb(config=config)
