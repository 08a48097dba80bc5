"""payment-service: the payments ledger and the charge call to the provider."""
