"""HTTP semantics the routes share: entity tags and conditional requests, Idempotency-Key, paged lists
with their Link header, and the JSON responses."""
