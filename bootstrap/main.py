"""Synthesize the Terraform Cloud bootstrap of one environment into bootstrap/cdktf.out/.

The environment's own app is synthesized first (with all its checks), into a scratch directory: the
workspaces, run triggers and state sharing are read from it. Exit 2 for bad input or an environment
whose state is not in Terraform Cloud.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rayfort.config import ConfigError, load_environment, resolve_environment_path  # noqa: E402
from rayfort.config.state import CloudState  # noqa: E402
from rayfort.synth import SynthRefused, synthesize  # noqa: E402

OUTDIR = Path(__file__).resolve().parent / "cdktf.out"


def main(argv: list[str]) -> int:
    from rayfort._cdk import FRAMEWORK
    from rayfort._providers import UNPUBLISHED

    if "tfe" in UNPUBLISHED[FRAMEWORK]:
        # The stacks synthesize on both frameworks; only this app needs the tfe provider.
        print(
            f"rayfort: the Terraform Cloud bootstrap needs the tfe provider, which {FRAMEWORK} does not publish; "
            "run it with the default framework (make bootstrap)",
            file=sys.stderr,
        )
        return 2
    path = resolve_environment_path(argv[0] if argv else None, ROOT / "environments")
    try:
        env = load_environment(path)
    except ConfigError as exc:
        print(f"rayfort: {exc}", file=sys.stderr)
        return 2
    if not isinstance(env.state, CloudState):
        print(
            f"rayfort: {path}: state.backend is {env.state.backend}; the Terraform Cloud bootstrap needs "
            "state.backend: cloud (see environments/prod.yaml)",
            file=sys.stderr,
        )
        return 2
    from bootstrap.app import build_bootstrap_app
    from rayfort.lifecycle.locks import write_lock_files
    from rayfort.synthesized import read_manifest, read_stacks
    from rayfort.terraform_cloud.plan import cloud_plan
    from stacks import build_app

    outdir = Path(os.environ.get("CDKTF_OUTDIR", OUTDIR))
    with tempfile.TemporaryDirectory(prefix=".bootstrap-", dir=outdir.parent) as scratch:
        platform = Path(scratch) / "platform"
        try:
            synthesize(env, platform, build_app)
        except SynthRefused as exc:
            print(f"rayfort: {path}: synthesis refused:\n{exc}", file=sys.stderr)
            return 2
        plan = cloud_plan(env, platform)
        staged = Path(scratch) / "bootstrap"
        build_bootstrap_app(env, plan, str(staged)).synth()
        write_lock_files(staged, read_manifest(staged), read_stacks(staged))
        shutil.rmtree(outdir, ignore_errors=True)
        staged.rename(outdir)
    if env.state.identity_project is None:
        print(
            "rayfort: state.identity_project is not set: the runners' service accounts live in the platform's "
            "project, where a workspace with roles/iam.serviceAccountAdmin could take over another's",
            file=sys.stderr,
        )
    for workspace in plan.workspaces:
        if workspace.unknown_types:
            print(
                f"rayfort: no role known for {', '.join(workspace.unknown_types)} ({workspace.stack})", file=sys.stderr
            )
    print(f"rayfort: Terraform Cloud bootstrap of {env.name} written to {os.path.relpath(outdir)}/")
    for workspace in plan.workspaces:
        print(
            f"  {workspace.name}: after {', '.join(workspace.run_after) or '-'}; "
            f"state read by {', '.join(workspace.read_by) or 'none'}"
            + ("; runs on the agent pool" if workspace.on_agents else "")
        )
        if workspace.organization_roles:
            print(f"    an organization admin grants its account: {', '.join(workspace.organization_roles)}")
    print("  apply it: cd bootstrap && npx cdktf deploy tfc-bootstrap (after terraform login and gcloud ADC)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
