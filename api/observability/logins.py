"""The login counter: attempts on the token route, by outcome."""

from typing import Literal, get_args

from prometheus_client import Counter

from api.paths import TOKEN_PATH

LoginOutcome = Literal["success", "bad_credentials", "throttled", "suspended"]
LOGINS = Counter("login_attempts_total", f"Login attempts on POST {TOKEN_PATH}, by outcome", ["outcome"])
for _outcome in get_args(LoginOutcome):  # every outcome shows, at 0 until it happens
    LOGINS.labels(_outcome)


def count_login(outcome: LoginOutcome) -> None:
    LOGINS.labels(outcome).inc()
