"""Ports: what the use cases need from the outside world, as Protocols the adapters implement, one
module per concern (users, posts, sessions, audit, recovery, mail, idempotency, security, throttling,
clock) and the units of work that hold the stores (units_of_work)."""
