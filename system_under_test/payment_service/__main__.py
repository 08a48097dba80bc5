import sys
from pathlib import Path

from system_under_test.common.runner import service_main

from .app import create_app
from .settings import PaymentSettings

sys.exit(service_main(PaymentSettings, create_app, Path(__file__).parent / "migrations"))
