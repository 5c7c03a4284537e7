"""``python -m llmgit``."""

from llmgit.cli.main import run

run()
