"""The tenant CA's roll on a real local Ray: pods issued before and after a roll trust each other.

The CAs and the leaves are made here: a root, the issuing CA it certifies, the issuing CA's yearly
successor (a new key under the same root) and, for a re-key of the root itself, a second root with its
own issuing CA. Each pod's files come from the Ray pod's real init container program
(``rayfort.tenant.runtime.tls``) against a stand-in cert-manager that signs the way its CA issuer does
(tests/tenant/cert_manager_standin.py). smoke/ca_roll.py then runs a Ray head and worker nodes with
those files and moves objects both ways between them.

Phases:

* **issuing CA roll** (what happens every year, and needs nobody): the head's leaf is from the old
  issuing CA, the worker's from its successor; both trust only the root the request returned.
  Control: the same worker trusting the CA that signed it, as pods did before issue 20, is refused.
* **root re-key through the trust bundle** (README, "Ray CA custody and rotation"): the bundle
  ConfigMap holds the old and the new root; the head's leaf chains to the old root, the worker's to
  the new one. Control: the new worker without the bundle is refused.

Needs the smoke venv (Ray 2.52.1) and is skipped without it, like tests/smoke/test_smoke_local.py.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rayfort.tenant.runtime.tls import ray_tls
from tests.conftest import LOCAL_RAY
from tests.tenant.cert_manager_standin import cert_manager_standin, make_ca, run_init
from tests.tenant.runtime.test_ray_objects import inputs

REPO = Path(__file__).resolve().parents[2]
SMOKE_PYTHON = REPO / ".venv-smoke" / "bin" / "python"
TIMEOUT_S = 480

pytestmark = LOCAL_RAY


def node_ip() -> str:
    """The address Ray gives a node on this machine (its route to the outside, as Ray finds it); no packet is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("8.8.8.8", 53))  # what Ray asks (node_ip_address_from_perspective)
        except OSError:
            pytest.skip("no route off this machine: Ray would not start a multi-node cluster")
        return probe.getsockname()[0]


def _pod(standin, pods: Path, name: str, node_type: str, extra_trust: bytes | None = None) -> Path:
    """Start a pod's init container against the stand-in; return the directory Ray reads its TLS files from."""
    container = ray_tls(inputs()).init_containers(node_type)[0]
    result = run_init(container, pods / name, standin, pod_ip=node_ip(), pod_name=name, extra_trust=extra_trust)
    assert result.returncode == 0, result.stderr
    return pods / name / "tls"


def _trusting_only(pods: Path, tls: Path, name: str, ca: Path) -> Path:
    """The pod's leaf and key, with ``ca`` as all it trusts."""
    directory = pods / name
    directory.mkdir()
    for file in ("tls.crt", "tls.key"):
        (directory / file).write_bytes((tls / file).read_bytes())
    (directory / "ca.crt").write_bytes(ca.read_bytes())
    return directory


@pytest.fixture(scope="module")
def roll_plan(tmp_path_factory: pytest.TempPathFactory) -> dict:
    pki, pods = tmp_path_factory.mktemp("pki"), tmp_path_factory.mktemp("pods")
    with cert_manager_standin(pki) as standin:
        make_ca(pki, "team-a-root", curve="secp384r1")
        make_ca(pki, "issuing-2026", issuer="team-a-root")
        make_ca(pki, "issuing-2027", issuer="team-a-root")  # the yearly renewal: a new key, the same root
        make_ca(pki, "team-a-root-2036", curve="secp384r1")  # a re-key of the root itself
        make_ca(pki, "issuing-2036", issuer="team-a-root-2036")

        standin.issuer = "issuing-2026"
        head = _pod(standin, pods, "team-a-head-old", "head")
        standin.issuer = "issuing-2027"
        worker = _pod(standin, pods, "team-a-worker-new", "worker")
        before_issue_20 = _trusting_only(pods, worker, "team-a-worker-own-ca", pki / "issuing-2027.crt")

        bundle = (pki / "team-a-root.crt").read_bytes() + (pki / "team-a-root-2036.crt").read_bytes()
        rekey_head = _pod(standin, pods, "team-a-head-bundle", "head", extra_trust=bundle)
        standin.issuer = "issuing-2036"
        rekey_worker = _pod(standin, pods, "team-a-worker-root-2036", "worker", extra_trust=bundle)
        without_bundle = _pod(standin, pods, "team-a-worker-no-bundle", "worker")
    return {
        "pki": pki,
        "node_ip": node_ip(),
        "phases": [
            {
                "name": "issuing CA roll",
                "head": str(head),
                "workers": [
                    {"name": "worker_after_roll", "tls": str(worker), "expect": "joins"},
                    {"name": "worker_trusting_its_issuer", "tls": str(before_issue_20), "expect": "refused"},
                ],
            },
            {
                "name": "root re-key through the trust bundle",
                "head": str(rekey_head),
                "workers": [
                    {"name": "worker_new_root", "tls": str(rekey_worker), "expect": "joins"},
                    {"name": "worker_without_bundle", "tls": str(without_bundle), "expect": "refused"},
                ],
            },
        ],
    }


def _subject_and_issuer(path: Path) -> list[str]:
    """Subject and issuer CN of every certificate in a PEM file."""
    pem = path.read_text()
    found = []
    for block in pem.split("-----END CERTIFICATE-----")[:-1]:
        text = subprocess.run(
            ["openssl", "x509", "-noout", "-subject", "-issuer", "-nameopt", "RFC2253"],
            input=block + "-----END CERTIFICATE-----\n",
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found.append(" <- ".join(line.split("CN=", 1)[1] for line in text.splitlines()))
    return found


def test_the_pods_files_are_what_the_roll_is_about(roll_plan: dict) -> None:
    """The premise, checked before Ray runs: who signed each leaf, and what each pod trusts."""
    issuing, rekey = roll_plan["phases"]
    head, worker = Path(issuing["head"]), Path(issuing["workers"][0]["tls"])
    # tls.crt is the leaf and the issuing CA that signed it; ca.crt is the root, never an issuing CA.
    assert _subject_and_issuer(head / "tls.crt") == [
        "team-a-head-old <- issuing-2026",
        "issuing-2026 <- team-a-root",
    ]
    assert _subject_and_issuer(worker / "tls.crt") == [
        "team-a-worker-new <- issuing-2027",
        "issuing-2027 <- team-a-root",
    ]
    assert (
        _subject_and_issuer(head / "ca.crt") == _subject_and_issuer(worker / "ca.crt") == ["team-a-root <- team-a-root"]
    )
    # The two issuing CAs have different keys: the roll is a real re-key.
    pki = roll_plan["pki"]
    keys = {
        subprocess.run(
            ["openssl", "x509", "-noout", "-pubkey", "-in", pki / f"{ca}.crt"], capture_output=True, text=True
        ).stdout
        for ca in ("issuing-2026", "issuing-2027")
    }
    assert len(keys) == 2
    assert _subject_and_issuer(Path(issuing["workers"][1]["tls"]) / "ca.crt") == ["issuing-2027 <- team-a-root"]
    # The bundle: the pod's root first, then both roots from the ConfigMap.
    bundle = ["team-a-root <- team-a-root", "team-a-root-2036 <- team-a-root-2036"]
    assert _subject_and_issuer(Path(rekey["head"]) / "ca.crt") == ["team-a-root <- team-a-root", *bundle]
    assert _subject_and_issuer(Path(rekey["workers"][0]["tls"]) / "ca.crt") == [
        "team-a-root-2036 <- team-a-root-2036",
        *bundle,
    ]
    assert _subject_and_issuer(Path(rekey["workers"][1]["tls"]) / "ca.crt") == ["team-a-root-2036 <- team-a-root-2036"]


@pytest.mark.skipif(not SMOKE_PYTHON.exists(), reason="smoke venv .venv-smoke missing (see test_smoke_local.py)")
def test_pods_issued_before_and_after_a_roll_trust_each_other_on_a_real_ray(roll_plan: dict) -> None:
    plan = {"node_ip": roll_plan["node_ip"], "phases": roll_plan["phases"]}
    proc = subprocess.Popen(
        [str(SMOKE_PYTHON), str(REPO / "smoke" / "ca_roll.py")],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = proc.communicate(json.dumps(plan), timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # ca_roll.py stops its Ray processes and deletes its temp dirs
        try:
            output, _ = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        pytest.fail(f"ca_roll.py did not finish in {TIMEOUT_S}s:\n{output[-6000:]}")
    sys.stdout.write(output)
    assert proc.returncode == 0, output[-6000:]
    assert "CA ROLL PASS" in output
    for worker in ("worker_after_roll", "worker_new_root"):
        assert f"CA_ROLL_EXCHANGED {worker} " in output
        assert "head->worker=2097152 worker->head=2097152" in output
    for worker in ("worker_trusting_its_issuer", "worker_without_bundle"):
        assert f"CA_ROLL_REFUSED {worker}" in output
        # Refused by the TLS check, not by anything else.
        assert re.search(f"worker {worker} refused; its log: .*CERTIFICATE_VERIFY_FAILED", output), worker
