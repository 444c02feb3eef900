"""The audit log in memory."""

from dataclasses import replace

from application.pagination import Page, PageRequest
from application.ports.audit import AuditEntry
from infrastructure.memory.pages import page_of
from infrastructure.memory.repository import InMemoryRepository, Staged
from infrastructure.memory.tables import TableSpec

AUDIT: TableSpec[AuditEntry] = TableSpec("audit")


class InMemoryAuditLog(InMemoryRepository):
    _entries = Staged(AUDIT)

    async def add(self, entry: AuditEntry) -> None:
        entry_id = self._uow.store.next_id(AUDIT.name)
        self._entries.rows[entry_id] = replace(entry, id=entry_id)

    async def list(self, page: PageRequest) -> Page[AuditEntry]:
        return page_of(self._entries.rows, page)
