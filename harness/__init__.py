"""The harness: CLI and orchestration around the system under test."""
