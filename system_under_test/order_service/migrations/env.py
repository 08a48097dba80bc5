from system_under_test.common.migrations_env import run_migrations
from system_under_test.order_service.repository import metadata

run_migrations(metadata)
