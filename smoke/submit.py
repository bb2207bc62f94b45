#!/usr/bin/env python3
"""rayfort smoke test: submit the Monte-Carlo pi job to a Ray cluster and check it.

Talks to the Ray Jobs HTTP API on the head node's dashboard port (8265) with
the Ray Jobs SDK (JobSubmissionClient), the same API `ray job submit` uses.

Token: the cluster's Ray auth token is sent on every request as
``<header>: Bearer <token>``. It is read from, in this order: --token-file
(e.g. a mounted Kubernetes Secret), the RAY_AUTH_TOKEN environment variable,
the file named by the RAY_AUTH_TOKEN_PATH environment variable.

TLS: Ray's own TLS (RAY_USE_TLS, RAY_TLS_*) covers only Ray's gRPC traffic
inside the cluster; the dashboard / Jobs API is plain HTTP on the head pod.
TLS for this client therefore means an https:// address (terminated by the
load balancer / IAP / an ingress in front of the dashboard) and, for a private
CA, --ca-cert. The job itself runs on the cluster and uses the cluster's gRPC
TLS settings; the job reports them back and this script checks them
(--expect-tls / --expect-token-auth, both on by default).

Exit codes: 0 pass, 1 smoke failure (job failed, wrong estimate, timeout,
unreachable), 2 usage or local configuration error, 3 refused by the cluster's
token authentication (HTTP 401 missing token / 403 wrong token).
"""

import argparse
import math
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_AUTH_REFUSED = 3

DEFAULT_TOLERANCE = 0.01
DEFAULT_TIMEOUT_S = 300.0
TOKEN_HEADERS = ("authorization", "x-ray-authorization")

JOB_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pi_job.py")

_ESTIMATE_RE = re.compile(r"^PI_ESTIMATE=(\S+)\s*$", re.MULTILINE)
_KV_RE = re.compile(r"^(RAYFORT_SMOKE_[A-Z_]+)=(\S*)\s*$", re.MULTILINE)
_TOKEN_OK_RE = re.compile(r"^[\x21-\x7e]+$")  # visible ASCII, no spaces


class UsageError(Exception):
    """Bad arguments or local configuration (exit 2)."""


# --------------------------------------------------------------------------
# Pure helpers (no Ray import; unit-tested in tests/smoke/test_smoke_local.py)
# --------------------------------------------------------------------------


def parse_estimate(logs: str) -> float | None:
    """Return the last ``PI_ESTIMATE=`` value in the job logs, or None."""
    matches = _ESTIMATE_RE.findall(logs or "")
    if not matches:
        return None
    try:
        value = float(matches[-1])
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def check_estimate(estimate: float | None, tolerance: float = DEFAULT_TOLERANCE) -> tuple[bool, str]:
    """Check an estimate against pi. Returns (ok, human-readable reason)."""
    if estimate is None:
        return False, "no PI_ESTIMATE line in the job logs"
    if not math.isfinite(estimate):
        return False, f"estimate {estimate!r} is not a finite number"
    error = abs(estimate - math.pi)
    if error <= tolerance:
        return True, (f"pi estimate {estimate:.6f} is within {tolerance} of pi (error {error:.6f})")
    return False, (f"pi estimate {estimate:.6f} is NOT within {tolerance} of pi (error {error:.6f})")


def parse_posture(logs: str) -> dict[str, str]:
    """Return the RAYFORT_SMOKE_* key/values the job printed (last one wins)."""
    return {k: v for k, v in _KV_RE.findall(logs or "")}


def read_token_file(path: str) -> str:
    """Read a token the way Ray does: first line, surrounding whitespace trimmed."""
    try:
        with open(path, encoding="utf-8") as handle:
            first_line = handle.readline()
    except OSError as exc:
        raise UsageError(f"cannot read token file {path!r}: {exc.strerror}") from None
    return first_line.strip()


def resolve_token(token_file: str | None, env: Mapping[str, str]) -> tuple[str | None, str]:
    """Find the Ray auth token. Returns (token or None, description of source)."""
    if token_file:
        return read_token_file(token_file) or None, f"file {token_file}"
    if env.get("RAY_AUTH_TOKEN", "").strip():
        return env["RAY_AUTH_TOKEN"].strip(), "env RAY_AUTH_TOKEN"
    if env.get("RAY_AUTH_TOKEN_PATH", "").strip():
        path = env["RAY_AUTH_TOKEN_PATH"].strip()
        return read_token_file(path) or None, f"file {path} (env RAY_AUTH_TOKEN_PATH)"
    return None, "none"


def parse_header(spec: str) -> tuple[str, str]:
    """Parse ``'Name: value'`` into (name, value)."""
    name, sep, value = spec.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise UsageError(f"--header wants 'Name: value', got {spec!r}")
    return name, value


def parse_header_env(spec: str, env: Mapping[str, str]) -> tuple[str, str]:
    """Parse ``'Name=ENV_VAR'`` into (name, value of ENV_VAR)."""
    name, sep, var = spec.partition("=")
    name, var = name.strip(), var.strip()
    if not sep or not name or not var:
        raise UsageError(f"--header-env wants 'Name=ENV_VAR', got {spec!r}")
    value = env.get(var, "").strip()
    if not value:
        raise UsageError(f"--header-env {name}: environment variable {var} is empty")
    return name, value


def build_headers(
    token: str | None,
    token_header: str,
    extra: list[tuple[str, str]],
) -> dict[str, str]:
    """Headers for every Jobs API request: extra headers plus the Ray token."""
    headers: dict[str, str] = {}
    for name, value in extra:
        if name.lower() in {h.lower() for h in headers}:
            raise UsageError(f"header {name!r} given twice")
        headers[name] = value
    if token is not None:
        if not _TOKEN_OK_RE.match(token):
            raise UsageError("the Ray auth token contains whitespace or non-ASCII")
        if token_header.lower() in {h.lower() for h in headers}:
            raise UsageError(
                f"header {token_header!r} is set with --header and would also carry "
                "the Ray token; send the other credential in another header "
                "(e.g. Proxy-Authorization for IAP) or use --token-header"
            )
        headers[token_header] = f"Bearer {token}"
    return headers


def is_loopback_host(address: str) -> bool:
    host = re.sub(r"^[a-z]+://", "", address).split("/")[0]
    host = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
    return host in ("localhost", "::1") or host.startswith("127.")


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smoke/submit.py",
        description="Submit the rayfort pi smoke job and check its result.",
        epilog="Exit codes: 0 pass, 1 fail, 2 usage/config error, 3 refused by Ray token auth.",
    )
    parser.add_argument(
        "--address",
        required=True,
        help="Ray dashboard / Jobs API URL, e.g. http://127.0.0.1:8265 or https://ray-team.example.com",
    )
    parser.add_argument(
        "--token-file",
        help="file holding the Ray auth token (e.g. a mounted Kubernetes Secret); "
        "default: env RAY_AUTH_TOKEN, then the file in env RAY_AUTH_TOKEN_PATH",
    )
    parser.add_argument(
        "--no-token",
        action="store_true",
        help="send no Ray token at all (negative test: expect exit 3)",
    )
    parser.add_argument(
        "--token-header",
        choices=TOKEN_HEADERS,
        default="authorization",
        help="header carrying 'Bearer <token>'. Ray reads Authorization first and "
        "falls back to X-Ray-Authorization only when Authorization is absent "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="extra request header (repeatable); visible in the process list, prefer --header-env for secrets",
    )
    parser.add_argument(
        "--header-env",
        action="append",
        default=[],
        metavar="NAME=ENV_VAR",
        help="extra request header whose value is read from an environment variable "
        "(repeatable), e.g. Proxy-Authorization=IAP_BEARER",
    )
    parser.add_argument(
        "--ca-cert",
        help="CA bundle (file or directory) to verify an https:// address with",
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help="allowed |estimate - pi| (default: %(default)s)",
    )
    parser.add_argument("--samples", type=int, default=None, help="samples for the job (default: job's)")
    parser.add_argument("--tasks", type=int, default=None, help="Ray tasks for the job (default: job's)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help="seconds to wait for the job to finish (default: %(default)s)",
    )
    parser.add_argument(
        "--expect-tls",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="require the job to report RAY_USE_TLS on in the cluster (default: on)",
    )
    parser.add_argument(
        "--expect-token-auth",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="require the job to report RAY_AUTH_MODE=token in the cluster (default: on)",
    )
    return parser


def _tls_hint(exc: BaseException) -> str:
    """Name a TLS verification failure hidden behind the SDK's ConnectionError."""
    seen = exc
    for _ in range(10):
        seen = seen.__cause__ or seen.__context__
        if seen is None:
            return ""
        text = str(seen)
        if "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in type(seen).__name__:
            return " (TLS verification failed: pass the CA that signed the endpoint's certificate with --ca-cert)"
    return ""


def _say(tag: str, message: str) -> None:
    print(f"SMOKE {tag}: {message}", flush=True)


def run(args: argparse.Namespace) -> int:
    env = os.environ
    extra = [parse_header(h) for h in args.header]
    extra += [parse_header_env(h, env) for h in args.header_env]

    if args.no_token:
        token, source = None, "none (--no-token)"
    else:
        token, source = resolve_token(args.token_file, env)
        if token is None:
            raise UsageError(
                "no Ray auth token: use --token-file, RAY_AUTH_TOKEN or "
                "RAY_AUTH_TOKEN_PATH (or --no-token for a negative test)"
            )
    headers = build_headers(token, args.token_header, extra)

    address = args.address.rstrip("/")
    if not re.match(r"^https?://", address):
        raise UsageError("--address must start with http:// or https://")
    if args.ca_cert and not os.path.exists(args.ca_cert):
        raise UsageError(f"--ca-cert {args.ca_cert!r} does not exist")
    if address.startswith("http://"):
        if args.ca_cert:
            print("note: --ca-cert is only used for https:// addresses", file=sys.stderr)
        if token is not None and not is_loopback_host(address):
            print(
                "WARNING: sending the Ray token over plain http to a non-loopback "
                "host; use https:// (or a port-forward to 127.0.0.1)",
                file=sys.stderr,
            )
    verify = args.ca_cert if args.ca_cert else True

    # This script attaches the token itself (above), so the Ray SDK must not
    # add one of its own: with RAY_AUTH_MODE=token in the environment it would
    # load a token from RAY_AUTH_TOKEN / RAY_AUTH_TOKEN_PATH / ~/.ray/auth_token
    # and add it as Authorization. Disable that before Ray is imported.
    os.environ.pop("RAY_AUTH_MODE", None)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

    from ray.exceptions import AuthenticationError
    from ray.job_submission import JobStatus, JobSubmissionClient

    print(
        f"rayfort smoke: address={address} token_source={source} "
        f"token_header={args.token_header if token else '-'} "
        f"extra_headers={sorted(name for name, _ in extra) or '-'} "
        f"verify={'CA ' + args.ca_cert if args.ca_cert else 'system CAs'}",
        flush=True,
    )

    workdir = tempfile.mkdtemp(prefix="rayfort-smoke-job-")
    client = None
    job_id = None
    try:
        shutil.copy2(JOB_FILE, os.path.join(workdir, "pi_job.py"))
        entrypoint = "python pi_job.py"
        if args.samples is not None:
            entrypoint += f" --samples {int(args.samples)}"
        if args.tasks is not None:
            entrypoint += f" --tasks {int(args.tasks)}"

        client = JobSubmissionClient(address, headers=headers, verify=verify)
        job_id = client.submit_job(
            entrypoint=entrypoint,
            submission_id=f"rayfort-smoke-{int(time.time())}-{uuid.uuid4().hex[:8]}",
            runtime_env={"working_dir": workdir},
            metadata={"rayfort": "smoke"},
        )
        print(f"submitted job {job_id}", flush=True)

        deadline = time.monotonic() + args.timeout
        status = client.get_job_status(job_id)
        while not status.is_terminal():
            if time.monotonic() > deadline:
                _say(
                    "FAIL",
                    f"job {job_id} not finished after {args.timeout:.0f}s (status {status}); stopping it",
                )
                try:
                    client.stop_job(job_id)
                except Exception as exc:  # best effort
                    print(f"stop_job failed: {exc}", file=sys.stderr)
                return EXIT_FAIL
            time.sleep(1.0)
            status = client.get_job_status(job_id)

        logs = client.get_job_logs(job_id)
        print(f"----- job {job_id} logs -----")
        print(logs.rstrip())
        print("----- end of job logs -----", flush=True)

        if status != JobStatus.SUCCEEDED:
            info = client.get_job_info(job_id)
            _say("FAIL", f"job {job_id} ended {status}: {info.message}")
            return EXIT_FAIL

        posture = parse_posture(logs)
        if args.expect_token_auth and posture.get("RAYFORT_SMOKE_AUTH_MODE") != "token":
            _say(
                "FAIL",
                f"the job did not run with RAY_AUTH_MODE=token (reported {posture.get('RAYFORT_SMOKE_AUTH_MODE')!r})",
            )
            return EXIT_FAIL
        if args.expect_tls and posture.get("RAYFORT_SMOKE_TLS") != "on":
            _say(
                "FAIL",
                f"the job did not run with RAY_USE_TLS on (reported {posture.get('RAYFORT_SMOKE_TLS')!r})",
            )
            return EXIT_FAIL

        ok, reason = check_estimate(parse_estimate(logs), args.tolerance)
        if not ok:
            _say("FAIL", f"job {job_id}: {reason}")
            return EXIT_FAIL
        _say(
            "PASS",
            f"job {job_id}: {reason}; cluster auth="
            f"{posture.get('RAYFORT_SMOKE_AUTH_MODE')} "
            f"tls={posture.get('RAYFORT_SMOKE_TLS')}",
        )
        return EXIT_PASS
    except AuthenticationError as exc:
        first = str(exc).splitlines()[0] if str(exc) else repr(exc)
        code = (
            "401"
            if first.startswith("Authentication required")
            else ("403" if first.startswith("Authentication failed") else "?")
        )
        _say(
            "REFUSED",
            f"the cluster's token authentication refused the request (HTTP {code}): {first}",
        )
        return EXIT_AUTH_REFUSED
    except ConnectionError as exc:
        _say("FAIL", f"cannot reach the Jobs API: {exc}{_tls_hint(exc)}")
        return EXIT_FAIL
    except Exception as exc:  # anything else the SDK or requests raises
        _say("FAIL", f"{type(exc).__name__}: {exc}")
        return EXIT_FAIL
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except UsageError as exc:
        print(f"smoke/submit.py: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
