#!/usr/bin/env python3
"""rayfort CA roll on a real local Ray: nodes issued before and after a roll trust each other.

Run with the smoke venv's interpreter; tests/smoke/test_ca_roll.py makes the pods' files (each one's
``tls.crt``, ``tls.key`` and ``ca.crt``, written by the real init container program against a stand-in
cert-manager) and passes them as JSON on stdin:

    {"node_ip": "<this machine's address, which every leaf names as its pod IP>",
     "phases": [{"name": "...",
                 "head": "/dir/with/tls-files",
                 "workers": [{"name": "w_new", "tls": "/dir", "expect": "joins" | "refused"}]}]}

For each phase, on the given address (Ray dials every node by it, as by a pod's IP, and checks it against
the leaf's IP SANs) and inside one temporary directory:
  1. starts a Ray head with RAY_USE_TLS=1 and RAY_TLS_* pointing at the head's files, as in the pod;
  2. starts every worker as a second Ray node (``ray start --address``) with its own files and a
     custom resource named after it, so tasks can be placed on it;
  3. from a driver with the head's files, waits for every worker expected to join, then makes a 2 MiB
     object on the head that a task on the worker reads, and one on the worker that a task on the head
     reads: the worker's object manager pulls from the head's and the head's from the worker's, each
     side presenting its leaf and verifying the other's over Ray's mutual TLS;
  4. checks every worker expected to be refused is still not in the cluster 30 s after it started
     (the control: the same run with a trust that does not cover the head fails);
  5. stops every process it started (each `ray start` process group, then anything still pointing
     into the temp dir, by pid) and deletes the temp dir, whatever happened.

Prints ``CA ROLL PASS`` and exits 0 when every phase held, 1 otherwise; bounded by --deadline seconds.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_ray import Deadline, SmokeError, free_ports, log, stop_ray  # noqa: E402

REFUSED_GRACE_S = 30.0
"""How long a refused worker gets to (not) join, counted from its start."""

# The driver runs on the head, with the head's identity. argv: GCS address, JSON {"joins": [...], "refused": [...]}.
_DRIVER = r"""
import json, sys, time
import ray

address, expect = sys.argv[1], json.loads(sys.argv[2])
ray.init(address=address, logging_level="ERROR", log_to_driver=False)


def alive():
    return {n["NodeID"]: n["Resources"] for n in ray.nodes() if n["Alive"]}


deadline = time.monotonic() + float(expect["join_timeout"])
while not all(any(name in res for res in alive().values()) for name in expect["joins"]):
    if time.monotonic() > deadline:
        sys.exit("CA_ROLL_FAIL workers not in the cluster: %s" % sorted(
            name for name in expect["joins"] if not any(name in res for res in alive().values())))
    time.sleep(1)


HEAD = {"node:__internal_head__": 0.01}


@ray.remote(num_cpus=0)
def node_id():
    return ray.get_runtime_context().get_node_id()


@ray.remote(num_cpus=0)
def blob(tag):
    return ray.get_runtime_context().get_node_id(), tag * (2 << 20)


@ray.remote(num_cpus=0)
def take(made):
    # ``made`` lives in another node's object store: this node's object manager pulls it from that one's.
    where, data = made
    return where, ray.get_runtime_context().get_node_id(), len(data)


head_id = ray.get(node_id.options(resources=HEAD).remote(), timeout=60)
for name in expect["joins"]:
    worker_id = ray.get(node_id.options(resources={name: 0.01}).remote(), timeout=60)
    from_head = take.options(resources={name: 0.01}).remote(blob.options(resources=HEAD).remote(b"h"))
    from_worker = take.options(resources=HEAD).remote(blob.options(resources={name: 0.01}).remote(b"w"))
    (made_h, got_w, size_hw), (made_w, got_h, size_wh) = ray.get([from_head, from_worker], timeout=90)
    assert worker_id != head_id and (made_h, got_w, made_w, got_h) == (head_id, worker_id, worker_id, head_id), name
    print("CA_ROLL_EXCHANGED %s node=%s head->worker=%d worker->head=%d" % (name, worker_id[:8], size_hw, size_wh),
          flush=True)
for name in expect["refused"]:
    left = float(expect["refused_until"][name]) - time.time()
    if left > 0:
        time.sleep(left)
    if any(name in res for res in alive().values()):
        sys.exit("CA_ROLL_FAIL %s joined the cluster" % name)
    print("CA_ROLL_REFUSED %s" % name, flush=True)
print("CA_ROLL_NODES %d" % len(alive()), flush=True)
"""


def tls_env(directory: str) -> dict:
    """The Ray container's TLS settings (rayfort.tenant.runtime.tls.tls_env), on this node's files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(
        RAY_USE_TLS="1",
        RAY_TLS_SERVER_CERT=f"{directory}/tls.crt",
        RAY_TLS_SERVER_KEY=f"{directory}/tls.key",
        RAY_TLS_CA_CERT=f"{directory}/ca.crt",
        RAY_USAGE_STATS_ENABLED="0",
        # A refused GCS connection gives up in 5 s.
        RAY_py_gcs_connect_timeout_s="5",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
    )
    return env


def node_ports() -> list:
    names = ("node-manager", "object-manager", "dashboard-agent-listen", "dashboard-agent-grpc")
    ports = dict(zip(names + ("runtime-env-agent", "metrics-export"), free_ports(6), strict=True))
    return [f"--{name}-port={port}" for name, port in ports.items()]


def start(cmd: list, env: dict, log_path: Path, processes: list) -> subprocess.Popen:
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    processes.append(proc)
    return proc


def wait_started(proc: subprocess.Popen, log_path: Path, what: str, seconds: float) -> None:
    """Until `ray start` reports its node up: nodes on one address must not start at the same time."""
    end = time.monotonic() + seconds
    while "Ray runtime started" not in log_path.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > end:
            tail(log_path)
            raise SmokeError(f"{what} did not start (exit {proc.poll()})")
        time.sleep(0.5)


def tail(path: Path, lines: int = 12) -> None:
    if path.exists():
        for line in path.read_text(errors="replace").splitlines()[-lines:]:
            print(f"    | {line}", flush=True)


def run_phase(phase: dict, node_ip: str, tmp: Path, deadline: Deadline, processes: list) -> None:
    ray_cli = str(Path(sys.executable).parent / "ray")
    name = phase["name"]
    log(f"phase '{name}': head with {phase['head']}")
    gcs_port, dash_port, client_port = free_ports(3)
    head = start(
        [
            ray_cli, "start", "--head", "--block", f"--node-ip-address={node_ip}", f"--port={gcs_port}",
            "--include-dashboard=false", f"--ray-client-server-port={client_port}", f"--dashboard-port={dash_port}",
            *node_ports(), "--num-cpus=1", "--num-gpus=0", "--object-store-memory=80000000",
            f"--temp-dir={tmp / 'ray'}", "--disable-usage-stats",
        ],
        tls_env(phase["head"]),
        tmp / "head.log",
        processes,
    )  # fmt: skip
    wait_started(head, tmp / "head.log", "the head", deadline.left(120))
    refused_until = {}
    for worker in phase["workers"]:
        log(f"phase '{name}': worker {worker['name']} (expected to be {worker['expect']}) with {worker['tls']}")
        proc = start(
            [
                ray_cli, "start", "--block", f"--address={node_ip}:{gcs_port}", f"--node-ip-address={node_ip}",
                *node_ports(), "--num-cpus=1", "--num-gpus=0", "--object-store-memory=80000000",
                f"--resources={json.dumps({worker['name']: 1})}", "--disable-usage-stats",
            ],
            tls_env(worker["tls"]),
            tmp / f"{worker['name']}.log",
            processes,
        )  # fmt: skip
        if worker["expect"] == "refused":
            refused_until[worker["name"]] = time.time() + REFUSED_GRACE_S
        else:
            wait_started(proc, tmp / f"{worker['name']}.log", f"worker {worker['name']}", deadline.left(120))
    expect = {
        "joins": [w["name"] for w in phase["workers"] if w["expect"] == "joins"],
        "refused": [w["name"] for w in phase["workers"] if w["expect"] == "refused"],
        "refused_until": refused_until,
        "join_timeout": deadline.left(120),
    }
    try:
        result = subprocess.run(
            [sys.executable, "-c", _DRIVER, f"{node_ip}:{gcs_port}", json.dumps(expect)],
            env=tls_env(phase["head"]),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=deadline.left(240),
        )
    except subprocess.TimeoutExpired as exc:
        raise SmokeError(f"phase '{name}': the driver did not finish") from exc
    for line in result.stdout.splitlines():
        if line.startswith("CA_ROLL_") or result.returncode != 0:
            print(f"    | {line}", flush=True)
    if result.returncode != 0:
        for worker in phase["workers"]:
            log(f"last lines of worker {worker['name']}:")
            tail(tmp / f"{worker['name']}.log")
        raise SmokeError(f"phase '{name}': the driver failed (exit {result.returncode})")
    for worker in phase["workers"]:
        if worker["expect"] == "refused":
            reasons = sorted(
                {
                    line.strip()[:200]
                    for line in (tmp / f"{worker['name']}.log").read_text(errors="replace").splitlines()
                    if "certificate" in line.lower() or "handshake" in line.lower()
                }
            )
            log(f"phase '{name}': worker {worker['name']} refused; its log: {reasons[:2] or '(no TLS line)'}")
    log(f"phase '{name}': passed")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="rayfort CA roll on a local Ray")
    parser.add_argument("--deadline", type=float, default=420.0, help="overall limit in seconds (%(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dirs (logs); Ray is stopped regardless")
    args = parser.parse_args(argv)
    plan = json.load(sys.stdin)
    started = time.monotonic()
    deadline = Deadline(args.deadline)

    def on_signal(signum, _frame):
        raise SmokeError(f"interrupted by signal {signum}")

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    ok = False
    try:
        for phase in plan["phases"]:
            tmp = Path(tempfile.mkdtemp(prefix="rayfort-ca-roll-", dir="/tmp"))
            processes: list = []
            try:
                run_phase(phase, plan["node_ip"], tmp, deadline, processes)
            finally:
                for proc in reversed(processes):
                    stop_ray(proc, str(tmp))
                if args.keep:
                    log(f"kept {tmp}")
                else:
                    shutil.rmtree(tmp, ignore_errors=True)
        ok = True
    except SmokeError as exc:
        log(f"FAILED: {exc}")
    except Exception as exc:
        log(f"FAILED: unexpected {type(exc).__name__}: {exc}")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log(f"{'CA ROLL PASS' if ok else 'CA ROLL FAIL'} in {time.monotonic() - started:.1f}s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
