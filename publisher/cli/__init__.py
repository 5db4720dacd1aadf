"""The ``emigre`` command: thin click wrappers over the library. The only package importing click.

``base`` holds the group and what commands share; each other module holds one group of commands,
registered on ``main`` when imported. Exit codes: 0 success, 1 the graph does not conform to the
shapes, 2 bad data or usage, 3 any other error.
"""

from publisher.cli import build_commands, push_command, serve_command, wikidata_commands
from publisher.cli.base import main

__all__ = ["build_commands", "main", "push_command", "serve_command", "wikidata_commands"]
