"""Commands that wrap an `inference` script: every option Django does not know goes to the script."""

from argparse import Namespace
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class ScriptCommand(BaseCommand):
    """Collects unknown options into `options["script_args"]` instead of failing on them."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def parse_args(args: list[str] | None = None, namespace: Namespace | None = None) -> Namespace:
            options, script_args = parser.parse_known_args(args, namespace)
            options.script_args = script_args
            return options

        parser.parse_args = parse_args  # type: ignore[method-assign]
        return parser


def has_option(args: list[str], name: str) -> bool:
    return any(arg == name or arg.startswith(f"{name}=") for arg in args)
