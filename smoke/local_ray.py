#!/usr/bin/env python3
"""rayfort local smoke: a throwaway Ray head with token auth and gRPC TLS.

Run with the smoke venv's interpreter (it starts the `ray` CLI that sits next
to it), given the autoscaler sidecar a shipped tenant's head runs (as `make
smoke-local` does):

    .venv/bin/python smoke/autoscaler_env.py | .venv-smoke/bin/python smoke/local_ray.py --autoscaler-env -

What it does, all on 127.0.0.1 and inside one temporary directory:
  1. makes a throwaway CA, a server/client certificate signed by it (SANs
     127.0.0.1, ::1, localhost; Ray's gRPC TLS is mutual, so the same pair is
     the client certificate too) and a random Ray auth token in a file, the
     way a mounted Kubernetes Secret would hold it;
  2. starts `ray start --head --block` with RAY_AUTH_MODE=token,
     RAY_AUTH_TOKEN_PATH, RAY_USE_TLS=1 and RAY_TLS_* set, 2 CPUs and a small
     object store;
  3. checks the dashboard's auth answers (401 without a token, 403 with a wrong
     one, X-Ray-Authorization accepted, Authorization wins over it) and that
     the GCS port speaks TLS with our CA and demands a client certificate;
  4. starts a second process with exactly the autoscaler sidecar's environment
     (KubeRay's own variables, the token, and what rayfort adds through
     autoscalerOptions: the TLS settings and the read-only mount of the head's
     certificates, mapped onto this head's), which runs the sidecar's first
     steps (`ray health-check`, then the GCS client): it must reach the GCS;
     and again without rayfort's settings, as KubeRay alone would start it: it
     must not;
  5. runs smoke/submit.py with the token (expects a pass), without it
     (expects exit 3, an HTTP 401 refusal) and with a wrong one (exit 3, 403);
  6. stops the Ray processes it started (its own process group, then any
     process still pointing into the temp dir, each by pid) and deletes the
     temp dir, whatever happened.

Exits 0 when everything above held, 1 otherwise. Every wait is bounded; the
whole run is bounded by --deadline seconds (default 170) plus at most
~35 s of cleanup.
"""

import argparse
import datetime
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUBMIT = HERE / "submit.py"
LOOPBACK = "127.0.0.1"


class SmokeError(Exception):
    pass


class Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self, cap: float) -> float:
        """Seconds to allow for the next step: at most ``cap``, never past the end."""
        remaining = self.end - time.monotonic()
        if remaining <= 1:
            raise SmokeError("overall deadline reached")
        return min(cap, remaining)


def log(message: str) -> None:
    print(f"[local_ray {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ----------------------------------------------------------------- certificates


def make_pki(directory: Path) -> dict:
    """Write ca.crt, tls.crt, tls.key into ``directory``; return their paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    not_before = now - datetime.timedelta(minutes=5)
    not_after = now + datetime.timedelta(hours=6)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rayfort smoke CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rayfort-smoke-ray")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                    x509.DNSName("localhost"),
                ]
            ),
            critical=False,
        )
        .add_extension(
            # Ray uses one key pair per node for both ends of its mutual TLS.
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    paths = {
        "ca": directory / "ca.crt",
        "cert": directory / "tls.crt",
        "key": directory / "tls.key",
    }
    paths["ca"].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(paths["key"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return paths


def write_secret(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")  # trailing newline on purpose: Ray trims it


# ----------------------------------------------------------------------- ports


def free_ports(count: int) -> list:
    """Distinct free TCP ports on 127.0.0.1 (held open together, then released)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


# ------------------------------------------------------------------------ HTTP


def http_status(url: str, headers: dict, timeout: float = 5.0) -> int:
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_for_dashboard(base: str, token: str, proc: subprocess.Popen, seconds: float) -> None:
    """Poll until the Jobs API answers an authenticated request."""
    end = time.monotonic() + seconds
    last = "no answer yet"
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SmokeError(f"`ray start` exited early with code {proc.returncode}")
        try:
            status = http_status(f"{base}/api/jobs/", {"Authorization": f"Bearer {token}"}, timeout=3)
            if status == 200:
                return
            last = f"HTTP {status}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(1.0)
    raise SmokeError(f"dashboard not ready after {seconds:.0f}s ({last})")


def check_http_auth(base: str, token: str) -> None:
    """The dashboard's token checks, as rayfort's docs describe them."""
    url = f"{base}/api/jobs/"
    cases = [
        ("no token", {}, 401),
        ("wrong token", {"Authorization": "Bearer " + secrets.token_hex(16)}, 403),
        ("token in Authorization", {"Authorization": f"Bearer {token}"}, 200),
        ("token in X-Ray-Authorization", {"X-Ray-Authorization": f"Bearer {token}"}, 200),
        # Ray reads Authorization first: another credential there (e.g. a
        # proxy's token passed through) hides X-Ray-Authorization.
        (
            "foreign Authorization + token in X-Ray-Authorization",
            {
                "Authorization": "Bearer not-the-ray-token",
                "X-Ray-Authorization": f"Bearer {token}",
            },
            403,
        ),
        ("public health endpoint, no token", {}, 200),
    ]
    for name, headers, want in cases:
        target = f"{base}/api/gcs_healthz" if name.startswith("public") else url
        got = http_status(target, headers)
        if got != want:
            raise SmokeError(f"dashboard auth check '{name}': HTTP {got}, want {want}")
        log(f"dashboard auth check '{name}': HTTP {got} as expected")


# ------------------------------------------------------------------------- TLS


# HTTP/2 client preface followed by an empty SETTINGS frame: a gRPC server
# that accepted the connection answers with its own SETTINGS frame.
_H2_HELLO = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def _h2_answers(tls: ssl.SSLSocket) -> bool:
    """True if the server answers our HTTP/2 hello; False if it hangs up."""
    tls.sendall(_H2_HELLO)
    tls.settimeout(5)
    return tls.recv(1) != b""


def check_gcs_tls(port: int, pki: dict) -> None:
    """GCS must speak TLS with a cert our CA signed for 127.0.0.1, and require
    a client certificate (Ray's gRPC TLS is mutual when a CA is configured)."""
    # 1. With our CA and client cert: the handshake and the IP SAN check pass,
    #    and the gRPC server talks HTTP/2 to us (control for check 3).
    ctx = ssl.create_default_context(cafile=str(pki["ca"]))
    ctx.load_cert_chain(str(pki["cert"]), str(pki["key"]))
    ctx.set_alpn_protocols(["h2"])
    with socket.create_connection((LOOPBACK, port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=LOOPBACK) as tls:
            version = tls.version()
            peer = tls.getpeercert()
            subject = dict(x[0] for x in peer.get("subject", ()))
            if not _h2_answers(tls):
                raise SmokeError("GCS hung up on a client with a valid certificate")
    log(
        f"GCS port {port}: {version}, server cert "
        f"CN={subject.get('commonName')} verified against the smoke CA; "
        "mutual-TLS client accepted"
    )

    # 2. Without trusting our CA: verification must fail (the cert is ours).
    ctx = ssl.create_default_context()
    try:
        with socket.create_connection((LOOPBACK, port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=LOOPBACK):
                pass
        raise SmokeError("GCS TLS cert verified without the smoke CA")
    except ssl.SSLCertVerificationError:
        log(f"GCS port {port}: untrusted without the smoke CA, as expected")

    # 3. Trusting our CA but presenting no client certificate: refused.
    ctx = ssl.create_default_context(cafile=str(pki["ca"]))
    ctx.set_alpn_protocols(["h2"])
    refused = False
    try:
        with socket.create_connection((LOOPBACK, port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=LOOPBACK) as tls:
                # TLS 1.3 reports a missing client cert after the handshake.
                refused = not _h2_answers(tls)
    except (ssl.SSLError, ConnectionError):
        refused = True
    except TimeoutError:
        refused = False
    if not refused:
        raise SmokeError("GCS accepted a TLS client without a client certificate")
    log(f"GCS port {port}: client without a certificate refused, as expected")


# ------------------------------------------------------------------ autoscaler

# What the sidecar runs first (ray.autoscaler._private.kuberay.run_autoscaler, Ray 2.52):
# `ray health-check` against the GCS at the node's own address, then a GCS client, from which
# the monitor reads the cluster's state. In a pod the port is 6379; here it is argv[1].
_AUTOSCALER_START = """
import subprocess, sys
from ray._common.network_utils import build_address
from ray._private.services import get_node_ip_address
from ray._raylet import GcsClient
address = build_address(get_node_ip_address(), int(sys.argv[1]))
subprocess.check_call(["ray", "health-check", "--address", address, "--skip-version-check"])
gcs = GcsClient(address)
nodes = gcs.get_all_node_info(timeout=10)
print(f"AUTOSCALER_REACHED_GCS nodes={len(nodes)}", flush=True)
"""
# The pod's downward-API values, standing in.
_FIELDS = {
    "metadata.labels['ray.io/cluster']": "smoke",
    "metadata.namespace": "smoke",
    "metadata.name": "smoke-head",
}
# Applied to both runs, never part of the comparison: Ray's node address is loopback here (the
# pod's IP in a pod), and a refused GCS connection gives up after 5 s instead of 30.
_HARNESS = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_py_gcs_connect_timeout_s": "5"}


def autoscaler_process_env(spec: dict, token: str, volumes: dict, with_settings: bool = True) -> dict:
    """The sidecar's environment from ``spec`` (smoke/autoscaler_env.py), for a process on this machine.

    ``volumes`` maps the pod's volume names to local directories holding the same files; every
    path the environment names must lie under one of the sidecar's mounts, as in the pod.
    ``with_settings=False`` leaves out what rayfort adds through autoscalerOptions.
    """
    settings = spec.get("settings", {})
    dropped_env = set() if with_settings else set(settings.get("env", []))
    dropped_mounts = set() if with_settings else set(settings.get("volumeMounts", []))
    mounts = {}
    for mount in spec.get("volumeMounts", []):
        if mount["name"] in dropped_mounts:
            continue
        if mount["name"] not in volumes:
            raise SmokeError(f"the autoscaler mounts volume {mount['name']!r}, which the smoke has no stand-in for")
        mounts[mount["mountPath"].rstrip("/")] = str(volumes[mount["name"]])
    env = {}
    for entry in spec["env"]:
        name = entry["name"]
        if name in dropped_env:
            continue
        source = entry.get("valueFrom", {})
        if "value" in entry:
            value = entry["value"]
        elif "secretKeyRef" in source and source["secretKeyRef"].get("key") == "auth_token":
            value = token
        elif "fieldRef" in source and source["fieldRef"]["fieldPath"] in _FIELDS:
            value = _FIELDS[source["fieldRef"]["fieldPath"]]
        else:
            raise SmokeError(f"the autoscaler's {name} comes from {source}, which the smoke cannot stand in for")
        if value.startswith("/etc/"):
            owner = next((path for path in mounts if value.startswith(path + "/")), None)
            if owner is None:
                raise SmokeError(f"the autoscaler's {name}={value} names a file none of its mounts holds")
            value = mounts[owner] + value[len(owner) :]
        env[name] = value
    return env


def run_autoscaler(spec: dict, head: dict, with_settings: bool, seconds: float) -> subprocess.CompletedProcess:
    """The sidecar's first steps, in a process with only the sidecar's environment (and PATH, HOME)."""
    # The sidecar's Kubernetes credentials: its first steps talk only to the GCS, so empty files stand in.
    api_access = head["pki"]["cert"].parent.parent / "autoscaler-api-access"
    api_access.mkdir(exist_ok=True)
    for name in ("token", "ca.crt", "namespace"):
        (api_access / name).write_text("")
    volumes = {"ray-tls": head["pki"]["cert"].parent, "autoscaler-api-access": api_access}
    env = autoscaler_process_env(spec, head["token"], volumes, with_settings)
    env.update(_HARNESS)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])
    env["HOME"] = os.environ.get("HOME", "/tmp")
    shown = sorted(k for k in env if k.startswith(("RAY_TLS", "RAY_USE_TLS", "RAY_AUTH")))
    log(f"autoscaler {'with' if with_settings else 'without'} rayfort's settings: {', '.join(shown)}")
    try:
        result = subprocess.run(
            [sys.executable, "-c", _AUTOSCALER_START, str(head["gcs_port"])],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=seconds,
        )
    except subprocess.TimeoutExpired as exc:
        raise SmokeError(f"the autoscaler process did not finish within {seconds:.0f}s") from exc
    for line in result.stdout.rstrip().splitlines()[-4:]:
        print(f"    | {line}", flush=True)
    return result


def check_autoscaler(spec: dict, head: dict, deadline: Deadline) -> None:
    """With its settings the sidecar reaches the TLS head's GCS; as KubeRay alone builds it, it does not."""
    result = run_autoscaler(spec, head, True, deadline.left(60))
    if result.returncode != 0 or "AUTOSCALER_REACHED_GCS" not in result.stdout:
        raise SmokeError(f"the autoscaler with its TLS settings did not reach the GCS (exit {result.returncode})")
    log("autoscaler with rayfort's TLS settings: reached the GCS")
    result = run_autoscaler(spec, head, False, deadline.left(60))
    if result.returncode == 0 or "AUTOSCALER_REACHED_GCS" in result.stdout:
        raise SmokeError("the autoscaler without TLS settings reached the TLS head: the proof proves nothing")
    log(f"autoscaler without them: refused (exit {result.returncode}), as the issue reported")


# --------------------------------------------------------------------- cleanup


def _pids_pointing_into(directory: str) -> list:
    """Pids of processes whose command line or environment mentions ``directory``."""
    marker = directory.encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        for name in ("cmdline", "environ"):
            try:
                with open(f"/proc/{entry}/{name}", "rb") as handle:
                    if marker in handle.read():
                        found.append(int(entry))
                        break
            except OSError:
                continue
    return found


def stop_ray(proc: subprocess.Popen, tmp: str) -> None:
    """Stop only what this script started: the `ray start --block` process
    (which shuts its node down on SIGTERM), then its process group, then any
    leftover process that still points into our temp dir, each by pid."""
    if proc is not None and proc.poll() is None:
        log(f"stopping Ray (SIGTERM to `ray start` pid {proc.pid})")
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            log("`ray start` did not exit in 20s; killing its process group")
    if proc is not None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # pgid == pid (start_new_session)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    end = time.monotonic() + 10
    while time.monotonic() < end:
        left = _pids_pointing_into(tmp)
        if not left:
            return
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.5)
    left = _pids_pointing_into(tmp)
    if left:
        log(f"WARNING: processes still pointing into {tmp}: {left}")


# ------------------------------------------------------------------------ main


def run_submit(args: list, env: dict, seconds: float) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(SUBMIT)] + args
    log("running: " + " ".join(cmd))
    try:
        result = subprocess.run(
            cmd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=seconds,
        )
    except subprocess.TimeoutExpired as exc:
        raise SmokeError(f"submit.py did not finish within {seconds:.0f}s") from exc
    for line in result.stdout.rstrip().splitlines():
        print(f"    | {line}", flush=True)
    return result


def start_head(tmp: Path, deadline: Deadline, state: dict) -> dict:
    """Make the PKI and token, start the Ray head, wait until it serves."""
    ray_cli = Path(sys.executable).parent / "ray"
    if not ray_cli.exists():
        raise SmokeError(f"{ray_cli} not found: run this with the smoke venv's python")

    pki_dir = tmp / "pki"
    pki_dir.mkdir(mode=0o700)
    pki = make_pki(pki_dir)
    token = secrets.token_hex(32)
    token_file = tmp / "auth_token"
    write_secret(token_file, token)
    log(f"made throwaway CA, node cert and token under {tmp}")

    (
        gcs_port,
        dash_port,
        client_port,
        agent_http,
        agent_grpc,
        env_agent,
        metrics_port,
        node_mgr,
        obj_mgr,
    ) = free_ports(9)
    base = f"http://{LOOPBACK}:{dash_port}"

    ray_env = dict(os.environ)
    for var in ("RAY_ADDRESS", "RAY_API_SERVER_ADDRESS", "RAY_AUTH_TOKEN"):
        ray_env.pop(var, None)
    ray_env.update(
        RAY_AUTH_MODE="token",
        RAY_AUTH_TOKEN_PATH=str(token_file),
        RAY_USE_TLS="1",
        RAY_TLS_SERVER_CERT=str(pki["cert"]),
        RAY_TLS_SERVER_KEY=str(pki["key"]),
        RAY_TLS_CA_CERT=str(pki["ca"]),
        RAY_USAGE_STATS_ENABLED="0",
        # `ray start` swaps a loopback --node-ip-address for the host's
        # "remotely reachable" address; with multi-node support off it keeps
        # 127.0.0.1, so every Ray connection (and the TLS name check against
        # the cert's IP SAN) stays on loopback. Single-node only, fine here.
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
        # Job entrypoints run `python ...`: make that the smoke venv's python,
        # as `python` is the image's Ray-enabled python on our clusters.
        PATH=os.pathsep.join([str(ray_cli.parent), os.environ.get("PATH", "")]),
    )
    cmd = [
        str(ray_cli),
        "start",
        "--head",
        "--block",
        f"--node-ip-address={LOOPBACK}",
        f"--port={gcs_port}",
        "--include-dashboard=true",
        f"--dashboard-host={LOOPBACK}",
        f"--dashboard-port={dash_port}",
        f"--ray-client-server-port={client_port}",
        f"--dashboard-agent-listen-port={agent_http}",
        f"--dashboard-agent-grpc-port={agent_grpc}",
        f"--runtime-env-agent-port={env_agent}",
        f"--metrics-export-port={metrics_port}",
        f"--node-manager-port={node_mgr}",
        f"--object-manager-port={obj_mgr}",
        "--num-cpus=2",
        "--num-gpus=0",
        "--object-store-memory=100000000",
        f"--temp-dir={tmp / 'ray'}",
        "--disable-usage-stats",
    ]
    ray_log = open(tmp / "ray_start.log", "wb")
    state["ray_log"] = tmp / "ray_start.log"
    log("starting: " + " ".join(cmd[:4]) + " ... (token auth + TLS on)")
    state["proc"] = subprocess.Popen(
        cmd,
        env=ray_env,
        stdin=subprocess.DEVNULL,
        stdout=ray_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    ray_log.close()

    wait_for_dashboard(base, token, state["proc"], deadline.left(90))
    log(f"Ray head up: GCS {LOOPBACK}:{gcs_port}, dashboard {base}")
    return {
        "base": base,
        "token": token,
        "token_file": token_file,
        "pki": pki,
        "gcs_port": gcs_port,
    }


def smoke(tmp: Path, deadline: Deadline, state: dict, autoscaler: dict) -> None:
    head = start_head(tmp, deadline, state)
    base, token, token_file = head["base"], head["token"], head["token_file"]
    pki, gcs_port = head["pki"], head["gcs_port"]

    check_http_auth(base, token)
    check_gcs_tls(gcs_port, pki)
    check_autoscaler(autoscaler, head, deadline)

    # The submitter's environment: no Ray settings leaking in from this process.
    client_env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    client_env["RAY_USAGE_STATS_ENABLED"] = "0"
    client_env["TMPDIR"] = str(tmp)  # submit.py's scratch dir goes away with ours

    result = run_submit(
        ["--address", base, "--token-file", str(token_file), "--timeout", "100"],
        client_env,
        deadline.left(120),
    )
    if result.returncode != 0 or "SMOKE PASS" not in result.stdout:
        raise SmokeError(f"submit with the token failed (exit {result.returncode})")
    log("submit with the token: passed")

    result = run_submit(["--address", base, "--no-token"], client_env, deadline.left(60))
    if result.returncode != 3:
        raise SmokeError(f"submit without a token: exit {result.returncode}, want 3 (auth refusal)")
    if "SMOKE REFUSED" not in result.stdout or "HTTP 401" not in result.stdout:
        raise SmokeError("submit without a token was refused, but not with HTTP 401")
    log("submit without a token: refused by token auth (HTTP 401), as expected")

    # A wrong token, taken from RAY_AUTH_TOKEN (the env source of submit.py).
    wrong_env = dict(client_env, RAY_AUTH_TOKEN=secrets.token_hex(32))
    result = run_submit(["--address", base], wrong_env, deadline.left(60))
    if result.returncode != 3 or "HTTP 403" not in result.stdout:
        raise SmokeError(f"submit with a wrong token: exit {result.returncode}, want 3 with HTTP 403")
    log("submit with a wrong token: refused by token auth (HTTP 403), as expected")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="rayfort local Ray smoke test")
    parser.add_argument(
        "--autoscaler-env",
        required=True,
        metavar="FILE",
        help="the autoscaler sidecar as smoke/autoscaler_env.py prints it ('-' for stdin)",
    )
    parser.add_argument(
        "--deadline",
        type=float,
        default=170.0,
        help="overall time limit in seconds (default: %(default)s)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temp dir (logs) after the run; Ray is stopped regardless",
    )
    args = parser.parse_args(argv)
    source = sys.stdin if args.autoscaler_env == "-" else open(args.autoscaler_env)
    with source:
        autoscaler = json.load(source)

    started = time.monotonic()
    deadline = Deadline(args.deadline)
    tmp = Path(tempfile.mkdtemp(prefix="rayfort-smoke-", dir="/tmp"))
    state: dict = {"proc": None}

    def on_signal(signum, _frame):
        raise SmokeError(f"interrupted by signal {signum}")

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    ok = False
    try:
        smoke(tmp, deadline, state, autoscaler)
        ok = True
    except SmokeError as exc:
        log(f"FAILED: {exc}")
    except Exception as exc:
        log(f"FAILED: unexpected {type(exc).__name__}: {exc}")
    finally:
        # No more interruptions while cleaning up.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        if not ok and state.get("ray_log") and state["ray_log"].exists():
            tail = state["ray_log"].read_text(errors="replace").splitlines()[-30:]
            log("last lines of `ray start` output:")
            for line in tail:
                print(f"    | {line}")
        try:
            stop_ray(state.get("proc"), str(tmp))
        finally:
            if args.keep:
                log(f"kept {tmp}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    elapsed = time.monotonic() - started
    log(f"{'PASSED' if ok else 'FAILED'} in {elapsed:.1f}s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
