import sys

from system_under_test.common.runner import service_main

from .app import create_app
from .settings import ProviderSettings

sys.exit(service_main(ProviderSettings, create_app, migrations_dir=None))
