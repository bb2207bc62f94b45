"""rayfort's custom checkov checks, loaded with ``--external-checks-dir policies``."""
