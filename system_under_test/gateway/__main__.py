import sys

from pydantic import ValidationError

from system_under_test.common.runner import service_main

from .app import create_app
from .routing import RouteTableError
from .settings import GatewaySettings, describe_settings_error

try:
    exit_code = service_main(GatewaySettings, create_app, migrations_dir=None)
except RouteTableError as exc:
    print(f"error: gateway: {exc}", file=sys.stderr)
    exit_code = 2
except ValidationError as exc:
    print(f"error: gateway: {describe_settings_error(exc)}", file=sys.stderr)
    exit_code = 2
sys.exit(exit_code)
