"""A cluster only the grader can use: the course's credentials, mutual TLS, no open scheduler.

The fast tests check the credentials and the refusals; test_dask.py grades through a real TLS
cluster, and here a second Unix user tries to run code on it.
"""

import json
import os
import ssl
import subprocess

import pytest
from click.testing import CliRunner

from autograder.build import prepare_course
from autograder.cli import main
from autograder.course.autograde import autograde
from autograder.engine import ClusterError, Credentials, client_security, make_credentials
from autograder.topics import get_topic


@pytest.fixture
def creds(tmp_path):
    return make_credentials(tmp_path / "cluster")


def test_credentials_are_the_owners_and_the_member_is_signed_by_the_course_ca(creds, tmp_path):
    assert creds.folder.stat().st_mode & 0o777 == 0o700
    assert creds.key.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in creds.folder.iterdir()) == ["ca.pem", "member.key", "member.pem"]
    assert "PRIVATE KEY" in creds.key.read_text() and "PRIVATE KEY" not in creds.ca.read_text()
    # ssl itself (independent of dask) accepts the member certificate under this CA only
    ctx = ssl.create_default_context(cafile=str(creds.ca))
    ctx.load_cert_chain(str(creds.cert), str(creds.key))
    other = make_credentials(tmp_path / "other")
    from cryptography import x509

    member = x509.load_pem_x509_certificate(creds.cert.read_bytes())
    ca, stranger = (x509.load_pem_x509_certificate(c.ca.read_bytes()) for c in (creds, other))
    member.verify_directly_issued_by(ca)
    with pytest.raises(Exception):  # noqa: B017 - cryptography raises ValueError or InvalidSignature
        member.verify_directly_issued_by(stranger)
    with pytest.raises(ClusterError, match="already holds"):
        make_credentials(creds.folder)  # a new CA would lock out the running cluster


def test_an_unauthenticated_scheduler_is_refused_unless_the_instructor_says_so(creds):
    for address in ("tcp://127.0.0.1:8786", "127.0.0.1:8786", "ws://127.0.0.1:8786"):
        with pytest.raises(ClusterError, match="--insecure-scheduler"):
            client_security(address, creds.folder, insecure=False)
        assert client_security(address, None, insecure=True) is None
    security = client_security("tls://127.0.0.1:8786", creds.folder, insecure=False)
    assert security.require_encryption and security.tls_client_key == str(creds.key)
    with pytest.raises(ClusterError, match="credentials"):
        client_security("tls://127.0.0.1:8786", None, insecure=False)
    os.chmod(creds.key, 0o644)
    with pytest.raises(ClusterError, match="readable by others"):
        Credentials(creds.folder).security()


def test_autograde_refuses_an_open_scheduler_before_it_reads_anything(tmp_path):
    course = tmp_path / "course"
    prepare_course(course, [get_topic("t05_attention")])
    with pytest.raises(ClusterError, match="refusing the unauthenticated scheduler tcp://"):
        autograde(course, ["t05_attention"], scheduler="tcp://127.0.0.1:9", progress=False)
    assert not (course / "gradebook.db").exists()
    out = CliRunner().invoke(main, ["autograde", "t05_attention", "--course", str(course),
                                    "--scheduler", "tcp://127.0.0.1:9"])
    assert out.exit_code == 1 and "refusing the unauthenticated scheduler" in out.output, out.output
    assert "Traceback" not in out.output


def test_cluster_credentials_command_prints_the_commands(tmp_path):
    out = CliRunner().invoke(main, ["cluster-credentials", str(tmp_path / "c"), "--host", "grader.example"])
    assert out.exit_code == 0, out.output
    assert "dask scheduler --protocol tls" in out.output and "tls://grader.example:8786" in out.output
    assert f"--tls-key {tmp_path / 'c' / 'member.key'}" in out.output
    again = CliRunner().invoke(main, ["cluster-credentials", str(tmp_path / "c")])
    assert again.exit_code == 1 and "already holds" in again.output


# A second user of the grading machine, with the course's Python and dask, tries every way in.
INTRUDER = r"""
import json, os, socket, ssl, sys
from distributed import Client
from distributed.security import Security

address, folder = sys.argv[1], sys.argv[2]
seen = {}


class Raw:  # TLS without a certificate of its own, trusting any server: what answers?
    def submit(self, *args, **kwargs):
        return self

    def result(self, timeout):
        host, port = address.removeprefix("tls://").rsplit(":", 1)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        with ctx.wrap_socket(socket.create_connection((host, int(port)), timeout=10)) as sock:
            sock.sendall(b"\0" * 64)
            if not sock.recv(1):
                raise ConnectionAbortedError("closed without a byte")
        return -1


attempts = {
    "no credentials": lambda: Client(address, timeout="10s"),
    "TLS without a certificate": Raw,
    "own self-signed credentials": lambda: Client(address, security=Security.temporary(), timeout="10s"),
    "plain tcp": lambda: Client(address.replace("tls://", "tcp://"), timeout="10s"),
}
for name, connect in attempts.items():
    try:
        client = connect()
        seen[name] = "ran as uid %d" % client.submit(os.getuid, pure=False).result(timeout=30)
    except BaseException as exc:
        seen[name] = "refused: " + type(exc).__name__
try:
    open(os.path.join(folder, "member.key")).read()
    seen["read the key"] = "read"
except OSError as exc:
    seen["read the key"] = "refused: " + type(exc).__name__
print(json.dumps(seen))
"""


@pytest.mark.slow
@pytest.mark.xdist_group("dask_cli")
def test_a_second_user_cannot_run_code_on_the_workers(tls_cluster, unix_users, any_user_python):
    address, creds = tls_cluster
    # the positive control: the course's credentials reach a worker
    from distributed import Client

    with Client(address, security=creds.security(), timeout="30s") as client:
        assert client.submit(os.getuid, pure=False).result(timeout=60) == os.getuid()
    (user,) = unix_users("mmqbintruder")
    run = subprocess.run(["runuser", "-u", user, "--", "env", "-i", "HOME=/tmp", "PATH=/usr/bin:/bin",
                          str(any_user_python), "-c", INTRUDER, address, str(creds.folder)],
                         capture_output=True, text=True, timeout=300, cwd="/tmp")
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(seen) == {"no credentials", "TLS without a certificate", "own self-signed credentials", "plain tcp",
                         "read the key"}
    assert all(outcome.startswith("refused") for outcome in seen.values()), seen
