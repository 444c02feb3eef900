"""The audit log in memory."""

from dataclasses import replace

from application.pagination import Page, PageRequest
from application.ports.audit import AuditEntry
from infrastructure.memory.pages import page_of
from infrastructure.memory.repository import InMemoryRepository, Staging
from infrastructure.memory.tables import TableSpec

AUDIT: TableSpec[AuditEntry] = TableSpec("audit")


class InMemoryAuditLog(InMemoryRepository):
    tables = (AUDIT,)

    def __init__(self, uow: Staging) -> None:
        super().__init__(uow)
        self._entries = uow.table(AUDIT)

    async def add(self, entry: AuditEntry) -> None:
        entry_id = self._uow.store.next_id(AUDIT.name)
        self._entries.rows[entry_id] = replace(entry, id=entry_id)

    async def list(self, page: PageRequest) -> Page[AuditEntry]:
        return page_of(self._entries.rows, page)
