"""uvicorn's logging configuration: the app's formatter and handler for every line, from the first one."""

import logging
from typing import Any

from api.observability.logs import QUIET_LOGGERS, AppLogHandler, formatter
from infrastructure.settings import Settings

_LOGS = formatter.__module__


def uvicorn_logging(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of `uvicorn.run` (or `uvicorn.Config`) for the app's logging: uvicorn applies
    this logging configuration in its own process and in every worker before its first line (the app's
    start-up then completes it with configure_logging), and writes no access line of its own."""
    level = settings.log_level
    quiet_level = max(logging.WARNING, logging.getLevelNamesMapping()[level])
    log_config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"app": {"()": f"{_LOGS}.{formatter.__name__}", "log_format": settings.log_renderer}},
        "handlers": {
            "app": {
                "class": f"{_LOGS}.{AppLogHandler.__name__}",
                "formatter": "app",
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"handlers": ["app"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": "NOTSET", "propagate": True},
            "uvicorn.error": {"handlers": [], "level": "NOTSET", "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            **{name: {"level": quiet_level} for name in QUIET_LOGGERS},
        },
    }
    return {"log_config": log_config, "access_log": False}
