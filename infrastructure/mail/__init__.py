"""Outgoing mail: the outbox queue's records, the delivery loop, and the Mailer adapters (SMTP on
aiosmtplib, console, in memory)."""
