"""Throwaway services that tests and benchmarks start and remove: a migrated database, PgBouncer in front
of PostgreSQL, a streaming replica pair, a recording SMTP server, free ports and the `users-posts`
command. Development only: not part of the installed package."""
