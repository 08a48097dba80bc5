"""The API gateway: one public port in front of the commerce services."""
