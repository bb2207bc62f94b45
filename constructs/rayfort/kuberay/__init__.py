"""The KubeRay operator: chart values, CRDs, the release and the objects around it."""
