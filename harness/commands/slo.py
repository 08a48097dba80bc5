"""`harness slo validate FILE...` and `harness slo import-openslo FILE`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.cli import UserError
from slo.model import SpecError, load_spec_file
from slo.openslo import import_file


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("slo", help="validate SLO specs, import OpenSLO")
    commands = parser.add_subparsers(dest="slo_command", metavar="SUBCOMMAND", required=True)
    validate = commands.add_parser("validate", help="validate SLO spec files")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.set_defaults(handler=run_validate)
    openslo = commands.add_parser(
        "import-openslo", help="convert OpenSLO v1 SLO documents into a spec (printed)"
    )
    openslo.add_argument("file", type=Path, metavar="FILE")
    openslo.set_defaults(handler=run_import)


def run_validate(args: argparse.Namespace) -> int:
    errors = []
    for path in args.files:
        try:
            slos = load_spec_file(path)
        except SpecError as exc:
            errors.append(str(exc))
            continue
        print(f"{path}: {len(slos)} SLO(s) valid: {', '.join(slo.name for slo in slos)}")
    if len(errors) == 1:
        raise UserError(errors[0])
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    return 2 if errors else 0


def run_import(args: argparse.Namespace) -> int:
    try:
        conversions = import_file(args.file)
    except SpecError as exc:
        raise UserError(str(exc)) from None
    if not conversions:
        raise UserError(f"{args.file}: no OpenSLO document found")
    print("\n---\n".join(conversion.to_yaml() for conversion in conversions), end="")
    for conversion in conversions:
        for item in conversion.not_converted:
            print(f"not converted: {args.file}: {item}", file=sys.stderr)
    return 0
