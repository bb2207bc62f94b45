"""python -m rayfort.kuberay.admission [ENV]: the admission policies as YAML, for a cluster admin to apply."""

import sys
from pathlib import Path

from rayfort.config import ConfigError, load_environment, resolve_environment_path
from rayfort.kuberay.admission.policies import admission_manifest


def main(argv: list[str]) -> int:
    path = resolve_environment_path(argv[0] if argv else None, Path("environments"))
    try:
        env = load_environment(path)
    except ConfigError as error:
        print(f"rayfort: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(admission_manifest(env))
    return 0


sys.exit(main(sys.argv[1:]))
