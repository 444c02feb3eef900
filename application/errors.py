"""Errors the application raises that are not broken domain rules."""


class StorageUnavailable(Exception):
    """The storage behind a port cannot be reached right now; retrying later may succeed."""
