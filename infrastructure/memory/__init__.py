"""In-memory adapters of the storage ports, one module per store on the staged tables of `tables`:
first-class, contract-tested like the SQL ones, and what use-case unit tests run on."""

from infrastructure.memory.recovery import InMemoryOutbox
from infrastructure.memory.tables import MemoryStore
from infrastructure.memory.unit_of_work import InMemoryUnitOfWork

__all__ = ["InMemoryOutbox", "InMemoryUnitOfWork", "MemoryStore"]
