"""A dask cluster only the grader can use: the course's own certificate authority and mutual TLS.

A dask scheduler runs whatever a connected client submits, on every worker, as the user the
workers run as (root, when they lease sandbox uids). On plain ``tcp://`` anyone who can reach the
port is such a client. So mmqb's cluster speaks TLS with a certificate authority made for the
course: the scheduler, the workers and ``mmqb autograde`` each present a certificate the course's
CA signed, and refuse a peer without one (dask's :class:`distributed.security.Security` sets
``CERT_REQUIRED`` both ways). The credentials folder is readable by its owner only: whoever cannot
read it cannot connect, and a certificate a stranger signs for themselves is refused.

``mmqb cluster-credentials DIR`` writes the folder and prints the commands that start the cluster.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import ClusterError

CA_CERT = "ca.pem"
MEMBER_CERT = "member.pem"
MEMBER_KEY = "member.key"
VALID_DAYS = 400  # a course and its re-runs; make new credentials for the next one


@dataclass(frozen=True)
class Credentials:
    """The files of one course's cluster credentials."""

    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / CA_CERT

    @property
    def cert(self) -> Path:
        return self.folder / MEMBER_CERT

    @property
    def key(self) -> Path:
        return self.folder / MEMBER_KEY

    def check(self) -> None:
        """The three files exist and the key is its owner's alone (else :class:`ClusterError`)."""
        for path in (self.ca, self.cert, self.key):
            if not path.is_file():
                raise ClusterError(f"cluster credentials: {path} is missing; make them with "
                                   f"`mmqb cluster-credentials {self.folder}`")
        mode = self.key.stat().st_mode & 0o077
        if mode:
            raise ClusterError(f"cluster credentials: {self.key} is readable by others (mode "
                               f"{self.key.stat().st_mode & 0o777:o}); run `chmod 600 {self.key}`")

    def security(self):
        """dask's ``Security`` for any role: this course's CA, its member certificate, encryption required."""
        from distributed.security import Security

        self.check()
        files = {f"tls_{role}_{part}": str(path) for role in ("client", "scheduler", "worker")
                 for part, path in (("cert", self.cert), ("key", self.key))}
        return Security(tls_ca_file=str(self.ca), require_encryption=True, **files)

    def commands(self, host: str = "HOST", port: int = 8786) -> list[str]:
        """The shell commands that start a scheduler and a worker with these credentials."""
        tls = f"--tls-ca-file {self.ca} --tls-cert {self.cert} --tls-key {self.key}"
        return [f"dask scheduler --protocol tls --port {port} {tls}",
                f"dask worker tls://{host}:{port} --nthreads 1 {tls}",
                f"mmqb autograde ASSIGNMENT --scheduler tls://{host}:{port} --cluster-credentials {self.folder}"]


def make_credentials(folder: Path, course: str = "mmqb") -> Credentials:
    """Write a new CA and one member certificate into ``folder`` (created with mode 0700).

    Refuses to overwrite: a new CA would lock out the running cluster.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    creds = Credentials(Path(folder))
    if any(p.exists() for p in (creds.ca, creds.cert, creds.key)):
        raise ClusterError(f"{folder} already holds cluster credentials; remove them first or choose another folder")
    creds.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(creds.folder, 0o700)
    now = datetime.datetime.now(datetime.UTC)
    until = now + datetime.timedelta(days=VALID_DAYS)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, course),
                          x509.NameAttribute(NameOID.COMMON_NAME, common)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name(f"{course} cluster CA")).issuer_name(name(f"{course} cluster CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(until)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    member = (x509.CertificateBuilder().subject_name(name(f"{course} cluster member")).issuer_name(ca.subject)
              .public_key(key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(until)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                    ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    # The CA's key is not kept: nobody can sign another member later, and nothing secret but the
    # member key is on disk.
    _write(creds.ca, ca.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(creds.cert, member.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(creds.key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()), 0o600)
    return creds


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, mode)


def client_security(address: str, credentials: str | Path | None, insecure: bool):
    """The ``Security`` to connect to ``address`` with, or ``None`` for an insecure cluster the instructor chose.

    A ``tls://`` address needs the course's credentials; any other protocol is refused unless
    ``insecure`` (``--insecure-scheduler``): on it, anyone who reaches the port runs code on the workers.
    """
    protocol = address.split("://", 1)[0] if "://" in address else "tcp"
    if protocol == "tls":
        if not credentials:
            raise ClusterError(f"{address} is a TLS scheduler: pass the course's credentials "
                               f"(--cluster-credentials DIR or c.Mmqb.cluster_credentials)")
        return Credentials(Path(credentials)).security()
    if not insecure:
        raise ClusterError(f"refusing the unauthenticated scheduler {address}: on {protocol}:// anyone who reaches "
                           f"its port runs code on the grading workers. Start the cluster with TLS (`mmqb "
                           f"cluster-credentials DIR` prints the commands) and pass tls://..., or pass "
                           f"--insecure-scheduler if every user of this network is trusted")
    return None
