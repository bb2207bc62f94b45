"""One environment becomes one App with the stacks network, gke, kuberay, tenant-<name>, exposure."""

from __future__ import annotations

from rayfort._cdk import App
from rayfort.config import Environment
from rayfort.stacks import ExposureStack, GkeStack, KubeRayStack, NetworkStack, TenantStack


def build_app(env: Environment, outdir: str = "cdktf.out") -> App:
    """Build every stack of ``env``; stacks share values only through references."""
    app = App(outdir=outdir, skip_validation=False)
    network = NetworkStack(app, "network", env)
    gke = GkeStack(app, "gke", env, network)
    kuberay = KubeRayStack(app, "kuberay", env, gke)
    tenants = [TenantStack(app, f"tenant-{tenant.name}", env, tenant, network, gke, kuberay) for tenant in env.tenants]
    ExposureStack(app, "exposure", env, network, gke, tenants)
    return app
