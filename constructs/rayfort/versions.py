"""Pinned versions that several parts of rayfort must agree on.

One place, so that the images, the chart, the CRD schemas the judges read and
the Ray used by the smoke test never drift apart.
"""

KUBERAY_VERSION = "1.7.0"
CERT_MANAGER_VERSION = "v1.21.3"
RAY_VERSION = "2.52.1"
RAY_PYTHON_TAG = "py311"
KUBERNETES_VERSION = "1.33"
POD_SECURITY_VERSION = "v1.33"
