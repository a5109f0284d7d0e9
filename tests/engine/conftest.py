"""A real dask cluster for the engine's tests: `dask scheduler` and `dask worker` processes on loopback,
started as the README says, with the course's credentials (mutual TLS)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder.engine import make_credentials

DASK = str(Path(sys.executable).parent / "dask")


@pytest.fixture
def tls_cluster():
    """``(address, credentials)`` of a TLS scheduler with two worker processes.

    Its folder is one other users can traverse, so that a test's second user meets the
    credentials' own permissions, not those of pytest's private temporary folder.
    """
    base = Path(tempfile.mkdtemp(prefix="mmqb-cluster-"))
    os.chmod(base, 0o755)
    creds = make_credentials(base / "credentials")
    tls = ["--tls-ca-file", str(creds.ca), "--tls-cert", str(creds.cert), "--tls-key", str(creds.key)]
    scheduler_file = base / "scheduler.json"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0")
    procs = [subprocess.Popen([DASK, "scheduler", "--protocol", "tls", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(scheduler_file), *tls], env=env, cwd=base,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        for _ in range(300):
            if scheduler_file.exists() and scheduler_file.stat().st_size:
                break
            time.sleep(0.1)
        workdir = base / "workers"  # the dask workers run elsewhere than the course
        workdir.mkdir()
        procs.append(subprocess.Popen([DASK, "worker", "--scheduler-file", str(scheduler_file), "--nworkers", "2",
                                       "--nthreads", "1", "--no-dashboard", "--local-directory", str(workdir), *tls],
                                      env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tls://"), address
        from distributed import Client

        with Client(address, security=creds.security()) as client:
            client.wait_for_workers(2, timeout=120)
        yield address, creds
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(base, ignore_errors=True)
