"""python -m rayfort.registry [ENV]: the commands that fill an environment's private mirror."""

import sys
from pathlib import Path

from rayfort.config import ConfigError, load_environment, resolve_environment_path
from rayfort.registry.images import mirror_commands


def main(argv: list[str]) -> int:
    path = resolve_environment_path(argv[0] if argv else None, Path("environments"))
    try:
        env = load_environment(path)
    except ConfigError as error:
        print(f"rayfort: {error}", file=sys.stderr)
        return 2
    if env.registry_mirror is None:
        print(f"rayfort: {path} has no registry_mirror; nothing to mirror", file=sys.stderr)
        return 2
    print("\n".join(mirror_commands(env)))
    return 0


sys.exit(main(sys.argv[1:]))
