"""A stand-in for the API server and cert-manager's CA issuer, and a way to run a Ray pod's init container.

The stand-in answers the init container's ``POST`` of a CertificateRequest and its ``GET`` until signed,
and signs the CSR the way cert-manager's CA issuer does (``pkg/controller/certificaterequests/ca``): the
signing Secret's chain is its ``tls.crt`` plus its ``ca.crt``; ``status.certificate`` is the leaf and
every certificate above it except a self-signed root, ``status.ca`` the top of the chain (the root).
The leaf carries the request's SANs, ``digital signature`` and ``server auth, client auth``, as our
CertificateRequest asks. Which CA signs is ``StandIn.issuer``: changing it is a CA roll.
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rayfort.tenant.runtime.pods import TLS_DIR
from rayfort.tenant.runtime.tls import API_DIR, TRUST_DIR

_LEAF_EXTENSIONS = (
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n"
)


def openssl(*args: str | Path, cwd: Path) -> None:
    subprocess.run(["openssl", *map(str, args)], cwd=cwd, check=True, capture_output=True)


def make_ca(pki: Path, name: str, issuer: str | None = None, curve: str = "prime256v1") -> None:
    """``<name>.crt``/``.key`` in ``pki``: self-signed, or signed by ``issuer`` (an intermediate)."""
    extensions = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
    key = ["-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:{curve}", "-nodes", "-keyout", f"{name}.key"]
    if issuer is None:
        openssl("req", "-x509", *key, "-subj", f"/CN={name}", "-days", "2", *extensions, "-out", f"{name}.crt", cwd=pki)
        return
    openssl("req", *key, "-subj", f"/CN={name}", *extensions, "-out", f"{name}.csr", cwd=pki)
    sign(pki, f"{name}.csr", issuer, f"{name}.crt")


def sign(pki: Path, csr: str, issuer: str, out: str, extensions: str | None = None) -> None:
    """Sign ``csr`` with CA ``issuer``, keeping the CSR's extensions (a CA's, or a leaf's SANs)."""
    extra: list[str | Path] = []
    if extensions is not None:
        (pki / f"{out}.ext").write_text(extensions)
        extra = ["-extfile", pki / f"{out}.ext"]
    serial = str(secrets.randbits(63))
    openssl(
        "x509", "-req", "-in", csr, "-CA", f"{issuer}.crt", "-CAkey", f"{issuer}.key", "-set_serial", serial,
        "-days", "1", "-copy_extensions", "copy", *extra, "-out", out, cwd=pki,
    )  # fmt: skip


def chain_of(pki: Path, ca: str) -> list[str]:
    """``ca`` and the CAs above it, by name (what the issuing CA's Secret holds as tls.crt + ca.crt)."""
    names = [ca]
    while True:
        subject, issuer = (
            subprocess.run(
                ["openssl", "x509", "-noout", f"-{what}", "-nameopt", "RFC2253", "-in", pki / f"{names[-1]}.crt"],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.split("CN=", 1)[1]
            .strip()
            for what in ("subject", "issuer")
        )
        if subject == issuer:
            return names
        names.append(issuer)


class _Handler(BaseHTTPRequestHandler):
    standin: StandIn

    def log_message(self, *args) -> None:
        pass

    def _reply(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        standin = self.standin
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        standin.requests.append({"path": self.path, "authorization": self.headers["Authorization"], "body": body})
        name = body["metadata"]["generateName"] + "x7k2p"
        (standin.pki / f"{name}.csr").write_bytes(base64.b64decode(body["spec"]["request"]))
        sign(standin.pki, f"{name}.csr", standin.issuer, f"{name}.crt", _LEAF_EXTENSIONS)
        standin.issued[name] = standin.issuer
        self._reply(201, {"metadata": {"name": name}})

    def do_GET(self) -> None:
        standin = self.standin
        standin.requests.append({"path": self.path, "authorization": self.headers["Authorization"]})
        answer = standin.answers.pop(0) if len(standin.answers) > 1 else standin.answers[0]
        if answer.get("status") == "signed":
            name = self.path.rsplit("/", 1)[1]
            *above, root = chain_of(standin.pki, standin.issued[name])
            chain = b"".join((standin.pki / f"{cert}.crt").read_bytes() for cert in [name, *above])
            ca = base64.b64encode((standin.pki / f"{root}.crt").read_bytes()).decode()
            answer = {"status": {"certificate": base64.b64encode(chain).decode(), "ca": ca}}
        self._reply(200, answer)


@dataclass
class StandIn:
    """The stand-in's state: its PKI directory, the CA that signs now, what it was asked and answers."""

    pki: Path
    issuer: str = "issuing"
    answers: list[dict[str, Any]] = field(default_factory=lambda: [{"status": "signed"}])
    requests: list[dict[str, Any]] = field(default_factory=list)
    issued: dict[str, str] = field(default_factory=dict)
    port: int = 0


@contextmanager
def cert_manager_standin(pki: Path) -> Iterator[StandIn]:
    """A TLS endpoint on 127.0.0.1 with its own cluster CA (``cluster.crt`` in ``pki``)."""
    make_ca(pki, "cluster")
    openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "api.key",
        "-subj", "/CN=api", "-addext", "subjectAltName=IP:127.0.0.1", "-out", "api.csr", cwd=pki,
    )  # fmt: skip
    sign(pki, "api.csr", "cluster", "api.crt")
    standin = StandIn(pki)
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"standin": standin}))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "api.crt", pki / "api.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    standin.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        server.server_close()


def run_init(
    container: dict[str, Any],
    pod: Path,
    standin: StandIn,
    *,
    pod_ip: str = "10.20.0.7",
    pod_name: str = "team-a-head-4xq9z",
    extra_trust: bytes | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the init container's command with its environment, the pod's fields and mounts standing in.

    The pod's volumes are directories under ``pod`` (``tls``, ``api``, ``trust``); the leaf lands in ``pod/tls``.
    """
    dirs = {name: pod / name for name in ("tls", "api", "trust")}
    for directory in dirs.values():
        directory.mkdir(parents=True)
    (dirs["api"] / "token").write_text("the-projected-token\n")
    (dirs["api"] / "ca.crt").write_bytes((standin.pki / "cluster.crt").read_bytes())
    if extra_trust is not None:
        (dirs["trust"] / "ca.crt").write_bytes(extra_trust)
    fields = {
        "status.podIP": pod_ip,
        "metadata.name": pod_name,
        "metadata.namespace": "team-a",
        "metadata.uid": "0b6a1c9e-uid",
    }
    env = {"PATH": "/usr/bin:/bin", "KUBERNETES_SERVICE_HOST": "127.0.0.1"}
    env["KUBERNETES_SERVICE_PORT"] = str(standin.port)
    for entry in container["env"]:
        env[entry["name"]] = entry["value"] if "value" in entry else fields[entry["valueFrom"]["fieldRef"]["fieldPath"]]
    assert (env["TLS_DIR"], env["API_DIR"], env["TRUST_DIR"]) == (TLS_DIR, API_DIR, TRUST_DIR)
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert mounts == {TLS_DIR: "ray-tls", API_DIR: "ray-tls-api", TRUST_DIR: "ray-tls-trust"}
    env.update(TLS_DIR=str(dirs["tls"]), API_DIR=str(dirs["api"]), TRUST_DIR=str(dirs["trust"]))
    assert container["command"][0] == "python3"
    return subprocess.run(
        [sys.executable, *container["command"][1:]], env=env, capture_output=True, text=True, timeout=60
    )
