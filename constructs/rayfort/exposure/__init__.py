"""Publishing a tenant's dashboard to people through IAP and its client port to machines in the VPC."""
