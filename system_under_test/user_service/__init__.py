"""user-service: accounts, password login and RS256 tokens (JWKS)."""
