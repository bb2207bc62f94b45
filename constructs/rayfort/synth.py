"""The synth entry point: validate, build, synthesize to a scratch directory, then publish.

A run that fails for any reason leaves cdktf.out/ exactly as it was; a run that
succeeds replaces it whole. Bad input exits 2 with one message and no traceback,
an interrupt (Ctrl-C, SIGTERM) exits 130 (143) with one line and no scratch left.

A published output is readable by everyone who can read the checkout (not mkdtemp's 0700), each stack
directory keeps the ``.terraform/`` that ``terraform init`` made in it (and the review record while
it approves the stack's new JSON), and holds the stack's ``.terraform.lock.hcl``. ``synth_main`` ends
with a summary, and refuses a synth that would drop a deployed tenant's stack (``rayfort.lifecycle.tenants``).

One synth at a time writes an output directory: a lock file beside it
(``.cdktf.out.lock``) is held from the first scratch file to the publish, and a
second synth in the same checkout is refused with who holds it. Holding the lock
also makes leftovers of killed runs recognisable: any scratch directory found
then belongs to no live run and is removed.

The CDK (and its node runtime) is imported only once the environment is valid,
so bad input is refused in a fraction of a second.
"""

from __future__ import annotations

import fcntl
import functools
import gc
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rayfort.config import ConfigError, Environment, load_environment, resolve_environment_path
from rayfort.lifecycle.locks import write_lock_files
from rayfort.lifecycle.record import RECORD, PolicyResult, SynthRecord, make_record
from rayfort.lifecycle.summary import summary
from rayfort.lifecycle.tenants import lifecycle_problems
from rayfort.processes import stop_children
from rayfort.review_record import RECORD_FILE, STACK_FILE, approves, read_review
from rayfort.synth_workers import (
    BadWorkerCount,
    build_kwargs,
    split_tenants,
    synth_workers,
    synthesize_app,
)

if TYPE_CHECKING:
    from rayfort._cdk import App

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT
OUTDIR_ENV = "CDKTF_OUTDIR"
POLICY_REPORT = "rayfort-policy.json"
TERRAFORM_DIR = ".terraform"
"""What ``terraform init`` installs into a stack directory: providers and modules, kept across synths."""
CDKTF_CLI_ENV = "CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS"
"""Set by the cdktf CLI for the apps it runs."""


Build = Callable[..., "App"]
"""An app's composition: ``build(env, outdir=...)`` returns the App to synthesize.

A build that also takes ``tenants`` (the names of the tenant stacks to make, with every shared stack)
lets a large environment be synthesized by several processes at once (``rayfort.synth_workers``)."""


class SynthRefused(Exception):
    """The configuration is valid input but breaks a rule; the message says which and where."""


class SynthBusy(Exception):
    """Another synth holds the output directory's lock."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; like KeyboardInterrupt, it is not an Exception, so nothing swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def synth_main(environments_dir: Path, build: Build, argv: list[str] | None = None) -> int:
    """Synthesize the selected environment with ``build``.

    Exits 0; 2 for bad input, a refused rule or an output another synth is writing; 128 + the signal
    number for an interrupt (130 for Ctrl-C).
    """
    args = sys.argv[1:] if argv is None else argv
    selector = args[0] if args else None
    path = resolve_environment_path(selector, environments_dir)
    outdir = Path(os.environ.get(OUTDIR_ENV, "cdktf.out"))
    with _INTERRUPTS.installed():
        try:
            env = load_environment(path)
            record = synthesize(env, outdir, build, project_dir=Path.cwd())
        except (ConfigError, BadWorkerCount) as exc:
            print(f"rayfort: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except SynthRefused as exc:
            print(f"rayfort: {path}: synthesis refused:\n{exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except SynthBusy as exc:
            print(f"rayfort: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except (Interrupted, KeyboardInterrupt, Exception):
            if not _INTERRUPTS.received:
                raise
            _exit_interrupted(_INTERRUPTS.received[0], outdir)
    print(summary(record, path, outdir))
    return 0


class _Interrupts:
    """SIGINT and SIGTERM as Interrupted, held back while the output is being swapped.

    A Ctrl-C reaches the CDK's node runtime too, which may then fail the call in progress with an
    error of its own: ``received`` lets that error be reported as the interrupt it is. Signals after
    the first are recorded only, so the clean-up they interrupt still finishes.
    """

    def __init__(self) -> None:
        self.received: list[int] = []
        self.holding = False
        self.published = False

    def _handle(self, signum: int, frame: Any) -> None:
        self.received.append(signum)
        if not self.holding and len(self.received) == 1:
            stop_children()
            raise Interrupted(signum)

    @contextmanager
    def installed(self) -> Iterator[None]:
        previous = {signum: signal.signal(signum, self._handle) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    @contextmanager
    def held(self) -> Iterator[None]:
        """Publishing is two renames: an interrupt between them waits until both are done."""
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
        self.published = True
        if self.received:
            stop_children()
            raise Interrupted(self.received[0])


_INTERRUPTS = _Interrupts()


def _exit_interrupted(signum: int, outdir: Path) -> None:
    """One line, then exit at once: the CDK's node runtime is gone, and its exit hook would complain."""
    name = signal.Signals(signum).name
    if _INTERRUPTS.published:
        state = f"it came while publishing, so {outdir} holds this run's complete output"
    else:
        state = f"{outdir} is as it was before this run"
    print(f"rayfort: interrupted ({name}); {state}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(128 + signum)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while an app is built, synthesized and checked; on again after.

    A build makes a few hundred thousand objects that live until the synth ends (one proxy per jsii
    object, the objects' dicts), and the checks parse every stack; each full collection walks all
    of them again, so collecting grows faster than the app: 1.0 s at 200 tenants (gc.callbacks).
    What they leave is freed by reference counting, not by the collector: the peak memory is the same.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def synthesize(env: Environment, outdir: Path, build: Build, project_dir: Path | None = None) -> SynthRecord:
    """Synthesize the app ``build`` makes of ``env`` into ``outdir`` atomically: all stacks or nothing.

    With ``project_dir`` (the checkout, as the command line runs it), a synth that would drop a deployed
    tenant's stack is refused; the evidence is read from there and from the previous output. Many tenants
    are split over processes (``rayfort.synth_workers``), with the same output.
    """
    shares = split_tenants(env, build)
    outdir = outdir.resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    with _output_lock(outdir, env.name), collector_paused():
        _remove_leftovers(outdir)
        if project_dir is not None:
            lost = lifecycle_problems(env, outdir, project_dir)
            if lost:
                raise SynthRefused("\n".join(lost))
        scratch = Path(tempfile.mkdtemp(prefix=f".{outdir.name}-", dir=outdir.parent))
        try:
            # Workers are forked first: the CDK's node runtime, which the imports below start, is not shared.
            own = functools.partial(build, env, outdir=str(scratch), **build_kwargs(shares[0] if shares else None))
            with synth_workers(env, build, shares[1:] if shares else (), outdir) as workers:
                record = _synthesize_checked(env, scratch, own, workers.merge_into)
            _make_readable(scratch)
            with _INTERRUPTS.held():
                _publish(scratch, outdir)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return record


def _synthesize_checked(
    env: Environment, scratch: Path, build: Callable[[], App], merge: Callable[[Path, str], None]
) -> SynthRecord:
    """Build and synthesize into ``scratch``, ``merge`` what the workers wrote, then judge and record the whole app."""
    # Imported here: the rules import the CDK, which starts its node runtime; bad input never gets this far.
    from rayfort._cdk import FRAMEWORK
    from rayfort._providers import use_lazy_provider_import
    from rayfort.controls.org_policies import configuration_problems
    from rayfort.policy import RayfortRules
    from rayfort.synthesized import SynthesizedStacks, read_manifest

    use_lazy_provider_import()  # the synth entry loads only the provider modules the stacks use
    rules = RayfortRules(env.waivers, environment=env)
    early = rules.judge_environment()
    if early is not None:
        raise SynthRefused(early.describe())
    terraform = local_terraform()
    synthesize_app(build, scratch, FRAMEWORK)
    merge(scratch, FRAMEWORK)
    stacks = SynthesizedStacks(scratch)  # each check reads each stack once; none holds them all
    unbuildable = framework_problems(stacks, terraform)
    if unbuildable:
        raise SynthRefused("\n".join(f"  - {problem}" for problem in unbuildable))
    report = rules.judge_stacks(stacks)
    if report.refused:
        raise SynthRefused(report.describe())
    guardrails = configuration_problems(env, stacks)
    if guardrails:
        raise SynthRefused("\n".join(f"  - {problem}" for problem in guardrails))
    (scratch / POLICY_REPORT).write_text(report.to_json(), encoding="utf-8")
    manifest = read_manifest(scratch)
    write_lock_files(scratch, manifest, stacks)
    policy = PolicyResult(
        on=sum(e.status == "on" for e in report.evaluations),
        waived=tuple(e.rule for e in report.waived),
        violated=len(report.violations),
    )
    record = make_record(env.name, [t.name for t in env.tenants], manifest, stacks, policy)
    (scratch / RECORD).write_text(record.to_json(), encoding="utf-8")
    return record


TERRAFORM_BINARY_ENV = "TERRAFORM_BINARY_NAME"
"""The Terraform binary cdktf's own checks run (``terraform`` when unset)."""
BUILTIN_PROVIDER = "terraform"
"""terraform_data and terraform_remote_state: built into Terraform, configured by no provider block."""


@dataclass(frozen=True)
class LocalTerraform:
    """What ``<binary> version`` said: the version, or why there is none."""

    binary: str
    version: tuple[int, int, int] | None
    failure: str | None = None
    """Why no version is known: the command failed, or printed none."""


def local_terraform() -> LocalTerraform:
    """The Terraform the stacks will run on (``TERRAFORM_BINARY_NAME``, else ``terraform``), asked once.

    The synth asks before it builds the app, while the process is small: asked after, the command ran
    beside the finished app and its output, and a 500-tenant synth peaked 50 MB higher.
    """
    binary = os.environ.get(TERRAFORM_BINARY_ENV) or "terraform"
    try:
        run = subprocess.run([binary, "version"], capture_output=True, text=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return LocalTerraform(binary, None, f"`{binary} version` failed: {exc}")
    found = re.search(r"(\d+)\.(\d+)\.(\d+)", run.stdout)
    if found is None:
        return LocalTerraform(binary, None, f"`{binary} version` printed no version")
    major, minor, patch = (int(part) for part in found.groups())
    return LocalTerraform(binary, (major, minor, patch))


def framework_problems(stacks: Mapping[str, dict[str, Any]], terraform: LocalTerraform | None = None) -> list[str]:
    """cdktf's synth-time validations, judged once on the output rather than once per stack.

    cdktf validates each stack as it synthesizes it, and the validation of each ``terraform_data`` resource
    and ``cloud`` block runs ``terraform version`` in a shell of its own: one to two processes per stack, most
    of a 500-tenant synth. The app skips that (``App(skip_validation=True)``, ``stacks/app.py``) and this
    makes the same checks on what cdktf wrote: every resource and data source has its provider configured
    in its stack (cdktf's ValidateProviderPresence), and ``terraform`` (``local_terraform()`` when not
    given) runs the stacks' blocks (ValidateTerraformVersion: ``terraform_data`` 1.4, ``moved`` and
    ``import`` 1.5, ``cloud`` 1.1).
    """
    problems = []
    needed = (0, 0, 0)
    for name, tf_json in stacks.items():
        configured = set(tf_json.get("provider", {}))
        missing = sorted(_providers_used(tf_json) - configured)
        if missing:
            problems.append(
                f"stack {name}: resources without a provider block, add one to the stack: {', '.join(missing)}"
            )
        needed = max(needed, _terraform_needed(tf_json))
    if needed > (0, 0, 0):
        problems += _terraform_problems(needed, terraform or local_terraform())
    return problems


def _providers_used(tf_json: dict[str, Any]) -> set[str]:
    """Local names of the providers the stack's resources and data sources need: meta-argument, or type prefix."""
    used = set()
    for block in ("resource", "data"):
        for resource_type, named in tf_json.get(block, {}).items():
            for body in named.values():
                explicit = body.get("provider")
                if isinstance(explicit, str):
                    used.add(explicit.removeprefix("${").removesuffix("}").split(".", 1)[0])
                else:
                    used.add(resource_type.split("_", 1)[0])
    return used - {BUILTIN_PROVIDER}


def _terraform_needed(tf_json: dict[str, Any]) -> tuple[int, int, int]:
    """The oldest Terraform that runs the stack's blocks, as cdktf's validations require it."""
    if tf_json.get("moved") or tf_json.get("import"):
        return (1, 5, 0)
    if "terraform_data" in tf_json.get("resource", {}):
        return (1, 4, 0)
    if "cloud" in tf_json.get("terraform", {}):
        return (1, 1, 0)
    return (0, 0, 0)


def _terraform_problems(needed: tuple[int, int, int], terraform: LocalTerraform) -> list[str]:
    wanted = ".".join(map(str, needed))
    if terraform.version is None:
        return [f"the stacks need Terraform {wanted} or newer, and {terraform.failure}"]
    if terraform.version < needed:
        found = ".".join(map(str, terraform.version))
        return [f"the stacks need Terraform {wanted} or newer; {terraform.binary} is {found}: upgrade it"]
    return []


def _make_readable(scratch: Path) -> None:
    """mkdtemp makes the scratch directory 0700; the published output gets the mode any new directory gets."""
    umask = os.umask(0)
    os.umask(umask)
    scratch.chmod(0o777 & ~umask)


def _lock_path(outdir: Path) -> Path:
    return outdir.with_name(f".{outdir.name}.lock")


@contextmanager
def _output_lock(outdir: Path, environment: str) -> Iterator[None]:
    """Hold the output directory's lock, or raise SynthBusy naming the synth that holds it.

    The lock file stays: removing it would let two runs lock two different files.
    """
    fd = os.open(_lock_path(outdir), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", errors="replace").strip() or "another process"
            raise SynthBusy(
                f"{outdir} is being written by another synth in this checkout ({holder}); "
                f"wait for it to finish, or set {OUTDIR_ENV} to a directory of your own"
            ) from None
        os.ftruncate(fd, 0)
        started = time.strftime("%H:%M:%S")
        os.pwrite(fd, f"pid {os.getpid()}, environment {environment}, since {started}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def _leftover(outdir: Path) -> re.Pattern[str]:
    """Names of scratch directories (mkdtemp's 8 characters) and of the previous output, beside ``outdir``."""
    return re.compile(rf"\.{re.escape(outdir.name)}-([a-z0-9_]{{8}}|previous)")


def _remove_leftovers(outdir: Path) -> None:
    """Clean up after killed runs; called with the lock held, so no live run owns what is removed."""
    previous = outdir.with_name(f".{outdir.name}-previous")
    if previous.is_dir() and not outdir.exists():
        previous.rename(outdir)  # killed between publishing's two renames: the last output comes back
    pattern = _leftover(outdir)
    for entry in outdir.parent.iterdir():
        if pattern.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


def _carry_terraform_dirs(outdir: Path, scratch: Path) -> None:
    """Move each stack's .terraform/ into the new output, so a synth costs no new ``terraform init``.

    Only for stacks that are still in the app; a renamed directory is moved, never copied. The review
    record ``make review`` wrote is moved too while it was made for exactly the stack just synthesized,
    so ``make plan`` after ``make review`` plans what was reviewed; a record of other JSON is left behind.
    """
    stacks = outdir / "stacks"
    if not stacks.is_dir():
        return
    for previous in stacks.iterdir():
        kept = previous / TERRAFORM_DIR
        target = scratch / "stacks" / previous.name
        if kept.is_dir() and not kept.is_symlink() and target.is_dir() and not (target / TERRAFORM_DIR).exists():
            kept.rename(target / TERRAFORM_DIR)
        review = previous / RECORD_FILE
        stack_json = target / STACK_FILE
        if (
            review.is_file()
            and stack_json.is_file()
            and approves(read_review(previous), previous.name, stack_json.read_bytes())
        ):
            review.rename(target / RECORD_FILE)


def _publish(scratch: Path, outdir: Path) -> None:
    previous = outdir.with_name(f".{outdir.name}-previous")
    shutil.rmtree(previous, ignore_errors=True)
    if outdir.exists():
        _carry_terraform_dirs(outdir, scratch)
        outdir.rename(previous)
    if os.environ.get(CDKTF_CLI_ENV) and (previous / "stacks").is_dir():
        # The cdktf CLI lists the stacks before running the app and deletes the ones that are gone
        # itself afterwards; it fails if they are already gone, so they are handed back for it to remove.
        (scratch / "stacks").mkdir(exist_ok=True)
        for stack in (previous / "stacks").iterdir():
            if not (scratch / "stacks" / stack.name).exists():
                stack.rename(scratch / "stacks" / stack.name)
    scratch.rename(outdir)
    shutil.rmtree(previous, ignore_errors=True)
