"""What the installation is doing, for people (`sohoa status --all`) and for Prometheus."""
