"""Shared plumbing and contracts for the commerce services (no domain logic)."""
