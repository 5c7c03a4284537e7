"""What the API's functions take: anything holding a :class:`~llmgit.store.store.Store`
(the :class:`~llmgit.api.registry.Registry` does; its methods are these functions)."""

from __future__ import annotations

from typing import Protocol

from llmgit.store.store import Store


class Facade(Protocol):
    @property
    def store(self) -> Store: ...
