"""The image's HEALTHCHECK: exit 0 when the server in this container answers /health/ready with a 200.

It asks with a Host header the server accepts (the first of APP_ALLOWED_HOSTS, a `*.` pattern made a
name), since the Host guard refuses any other once production names its hosts."""

import os
import sys
import urllib.error
import urllib.request


def readiness_request(environ: dict[str, str]) -> urllib.request.Request:
    """GET /health/ready on the port the entry point serves on."""
    request = urllib.request.Request(f"http://127.0.0.1:{environ.get('PORT', '8000')}/health/ready")
    allowed = [name.strip() for name in environ.get("APP_ALLOWED_HOSTS", "*").split(",") if name.strip()]
    if allowed and allowed[0] != "*":
        request.add_header("Host", "ready" + allowed[0][1:] if allowed[0].startswith("*") else allowed[0])
    return request


def main() -> int:
    try:
        with urllib.request.urlopen(readiness_request(dict(os.environ)), timeout=4) as response:
            print(f"ready: {response.status}")
            return 0
    except urllib.error.HTTPError as error:
        print(f"not ready: {error.code} {error.read(300)!r}")
    except OSError as error:
        print(f"not ready: {error}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
