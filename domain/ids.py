"""Identifiers are positive integers assigned by storage, within a signed 32-bit column."""

ID_MAX = 2**31 - 1
