"""Events, the transactional outbox, the idempotent inbox and Kafka plumbing."""
