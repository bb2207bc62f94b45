"""The private Artifact Registry mirror that air-gapped clusters pull every image and chart from."""
