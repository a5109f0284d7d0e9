"""Run many submissions: a local pool of warm workers (default) or a dask cluster.

Both draw tasks from the caller's iterable only as a place frees up (in the caller's thread:
the course pipeline claims a submission as it draws it) and yield ``(task, result)`` as
submissions finish, so the caller records each one as soon as it is known and no worker
waits for a batch to be recorded. Verdicts run in the process that holds the worker handle: the
coordinator locally, the dask worker process on a cluster (both trusted).
"""

from __future__ import annotations

import queue
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from autograder.checks import load_suite
from autograder.engine.cluster import client_security
from autograder.engine.handle import WarmWorker
from autograder.engine.settings import Limits
from autograder.engine.stages import grade_path, invalid_submission, not_graded
from autograder.engine.submission import read_text
from autograder.errors import SubmissionError
from autograder.results import SubmissionResult

# A task is anything with ``path``, ``assignment`` and ``student`` (the course pipeline's ``Task``).
Task = Any


class LocalPool:
    """``n`` warm workers, each grading one submission at a time.

    The workers start (TensorFlow import, isolation test: seconds) in the background as soon as
    the pool exists, so the caller scans and claims the course meanwhile; :meth:`ready` waits.
    """

    def __init__(self, n: int, isolation: str = "require") -> None:
        self.workers = [WarmWorker(i, isolation=isolation) for i in range(max(1, n))]
        self._starting = ThreadPoolExecutor(len(self.workers))
        self._started = [self._starting.submit(w.start) for w in self.workers]

    def prepare(self, slugs: list[str]) -> None:
        """Load the suites of ``slugs`` here (the verdicts run in this process; their import of
        TensorFlow takes seconds), while the workers start. An unknown slug is left for grading
        to report."""
        for slug in slugs:
            try:
                load_suite(slug)
            except Exception:  # noqa: BLE001 - each of its submissions says what is wrong
                pass

    def ready(self) -> None:
        """Wait until every worker has started; refuse at once (``IsolationUnavailable``), not per
        submission."""
        try:
            for future in self._started:
                future.result()
        finally:
            self._starting.shutdown(wait=True)

    def run(self, tasks: Iterable[Task], limits: Limits) -> Iterator[tuple[Task, SubmissionResult]]:
        """Grade ``tasks``, two per worker in flight (the next one waits, ready, while a result is
        recorded); yield each result as it is ready."""
        self.ready()
        free: queue.Queue[WarmWorker] = queue.Queue()
        for w in self.workers:
            free.put(w)

        def grade(task: Task) -> SubmissionResult:
            worker = free.get()
            try:
                return grade_path(task.path, worker, limits, expected_slug=task.assignment)
            finally:
                free.put(worker)

        with ThreadPoolExecutor(len(self.workers)) as pool:
            pending: dict = {}
            source = iter(tasks)
            while True:
                while len(pending) < 2 * len(self.workers) and (task := next(source, _END)) is not _END:
                    pending[pool.submit(grade, task)] = task
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield pending.pop(future), future.result()

    def close(self) -> None:
        """Stop every worker (one still starting is stopped once it has started)."""
        self._starting.shutdown(wait=True)
        for w in self.workers:
            w.close()


_END = object()
_DASK_WORKER: WarmWorker | None = None


def _grade_on_dask(name: str, text: str, assignment: str, limits: dict, isolation: str) -> dict:
    """Task body on a dask worker: the notebook travels as text, the result comes back as data.

    One warm worker per dask worker process; as root its sandbox uid is leased machine-wide
    (``settings.UidLease``), so two dask workers on one host never share one.
    """
    global _DASK_WORKER
    if _DASK_WORKER is None or _DASK_WORKER.policy != isolation:
        _DASK_WORKER = WarmWorker(0, isolation=isolation)
    return grade_path(Path(name), _DASK_WORKER, Limits(**limits), expected_slug=assignment, text=text).to_dict()


class DaskPool:
    """Submissions as tasks on a dask.distributed cluster at ``address``.

    A ``tls://`` cluster is joined with the course's ``credentials`` (:mod:`.cluster`); any other
    is refused unless ``insecure``, since whoever reaches an open scheduler runs code on its workers.
    """

    def __init__(self, address: str, isolation: str = "require", credentials: str | Path | None = None,
                 insecure: bool = False, in_flight: int = 64) -> None:
        from distributed import Client

        security = client_security(address, credentials, insecure)
        self.client = Client(address, security=security, timeout="30s")
        self.isolation = isolation
        self.in_flight = in_flight  # submissions handed to the cluster (and so claimed) ahead of their results

    def prepare(self, slugs: list[str]) -> None:
        """Nothing to load here: the verdicts run on the cluster's workers."""

    def ready(self) -> None:
        """The cluster is up already (its workers start their warm workers on their first task)."""

    def run(self, tasks: Iterable[Task], limits: Limits) -> Iterator[tuple[Task, SubmissionResult]]:
        """Grade ``tasks`` on the cluster, ``in_flight`` at a time; yield each result as it is ready."""
        import uuid
        from dataclasses import asdict

        from distributed import as_completed as dask_completed

        run = uuid.uuid4().hex[:8]  # two runs on one cluster must not share task keys
        futures: dict = {}
        finished = dask_completed()
        source = iter(tasks)
        while True:
            while len(futures) < self.in_flight and (t := next(source, _END)) is not _END:
                try:
                    text = read_text(Path(t.path), limits.notebook_bytes)  # no symlink, bounded, here
                except SubmissionError as exc:
                    yield t, invalid_submission(t.path, t.assignment, str(exc))
                    continue
                future = self.client.submit(_grade_on_dask, Path(t.path).name, text, t.assignment, asdict(limits),
                                            self.isolation, key=f"mmqb-{run}-{t.assignment}-{t.student}", pure=False)
                futures[future] = t
                finished.add(future)
            if not futures:
                return
            future = next(finished)
            task = futures.pop(future)
            try:
                yield task, SubmissionResult.from_dict(future.result())
            except Exception as exc:  # noqa: BLE001 - a lost dask worker fails this submission, not the batch
                yield task, not_graded(task.path, task.assignment, f"the dask task failed ({type(exc).__name__})")

    def close(self) -> None:
        """Disconnect from the cluster (it keeps running)."""
        self.client.close()


def make_pool(scheduler: str | None, workers: int, isolation: str = "require",
              credentials: str | Path | None = None, insecure: bool = False):
    """A :class:`DaskPool` on ``scheduler``, else a :class:`LocalPool` of ``workers`` warm workers."""
    if scheduler:
        return DaskPool(scheduler, isolation=isolation, credentials=credentials, insecure=insecure)
    return LocalPool(workers, isolation=isolation)
