"""What starting a throwaway server process needs: the checkout it runs from, the `users-posts` command
of this interpreter, a free loopback port, and the OS user to run a database server as."""

import os
import pwd
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).with_name("users-posts"))


def free_port() -> int:
    """A loopback port nothing listens on now (another program may take it before the caller binds)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def os_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run servers as when tests run as root (PostgreSQL and PgBouncer refuse
    root); None when not root."""
    return pwd.getpwnam("postgres") if os.geteuid() == 0 else None
