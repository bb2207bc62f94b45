"""One team's isolated Ray cluster: namespace, access, quota, network policies, identity, storage, Redis."""
