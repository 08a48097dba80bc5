"""order-service: orders, idempotent placement and the saga's bookkeeping."""
