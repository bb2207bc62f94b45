"""The network perimeter: private VPC, egress, firewall, VPC Service Controls."""
