"""The llmgit release this code is (``llmgit.__version__`` re-exports it)."""

VERSION = "0.1.0"
