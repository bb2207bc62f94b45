"""The private GKE cluster: keys, node identity, cluster and node pools."""
