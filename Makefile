# Two entry points for a fresh machine (see README):
#   make gameday   set up, then play the smoke game day and gate on its report
#   make test      set up, then run lint, type checks and the whole test suite
#   make check     the fast inner loop: lint, types, generated files, tests without servers
.PHONY: bootstrap gameday test check check-types check-tests lint up down

bootstrap:
	@scripts/bootstrap.sh

gameday: bootstrap
	.venv/bin/harness gameday --profile smoke

test: bootstrap
	.venv/bin/nox -s lint typecheck generate_check tests

# Types beside the tests: mypy runs on one core while the fast tests use both.
check: bootstrap
	@$(MAKE) --no-print-directory -j2 --output-sync=target check-types check-tests

check-types:
	.venv/bin/nox -s typecheck

check-tests:
	.venv/bin/nox -s lint generate_check fast

lint: bootstrap
	.venv/bin/nox -s lint typecheck

up: bootstrap
	.venv/bin/harness up

down:
	.venv/bin/harness down
