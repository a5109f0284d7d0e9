"""Settings of ``mmqb autograde``, read nbgrader's way from the course's ``nbgrader_config.py``.

The engine's options are the traitlets :class:`Mmqb` (``c.Mmqb.workers = 4``); course paths
and the gradebook URL come from nbgrader's own :class:`nbgrader.coursedir.CourseDirectory`
(``c.CourseDirectory.db_url``, ``directory_structure``, ``submitted_directory`` ...), so a
course configured for nbgrader is graded by mmqb without extra flags. The command line
overrides both.
"""

from __future__ import annotations

from pathlib import Path

from traitlets import Float, Integer, Unicode
from traitlets.config import Config, Configurable
from traitlets.config.loader import PyFileConfigLoader

from autograder.engine.grader import Limits

CONFIG_FILE = "nbgrader_config.py"


class Mmqb(Configurable):
    """``mmqb autograde``'s engine options (``c.Mmqb.<name>`` in ``nbgrader_config.py``)."""

    workers = Integer(2, help="Warm grading workers of the local pool.").tag(config=True)
    scheduler = Unicode("", help="dask.distributed scheduler address; empty: the local pool.").tag(config=True)
    timeout = Float(120.0, help="Wall-clock seconds per submission.").tag(config=True)
    cpu_seconds = Float(0.0, help="CPU seconds per submission (0: twice the timeout).").tag(config=True)
    memory_mib = Integer(2048, help="Address space per submission beyond TensorFlow, in MiB.").tag(config=True)
    output_bytes = Integer(1 << 20, help="Output a submission may print, in bytes.").tag(config=True)
    processes = Integer(512, help="Processes and threads per submission (RLIMIT_NPROC).").tag(config=True)

    def limits(self, timeout: float | None = None, memory_mib: int | None = None) -> Limits:
        """The sandbox limits, with the command line's ``timeout`` / ``memory_mib`` when given."""
        wall = float(timeout if timeout is not None else self.timeout)
        cpu = float(self.cpu_seconds) if self.cpu_seconds and timeout is None else 2 * wall
        memory = int(memory_mib if memory_mib is not None else self.memory_mib)
        for name, value in (("timeout", wall), ("memory", memory), ("workers", self.workers)):
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
        return Limits(wall_seconds=wall, cpu_seconds=cpu, memory_mib=memory, output_bytes=int(self.output_bytes),
                      processes=int(self.processes))


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
