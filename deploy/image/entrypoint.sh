#!/bin/sh
# The image's entry point: migrate the database of APP_DATABASE_URL, then serve on 0.0.0.0:$PORT.
# Options (`--workers 2`) go to `users-posts serve`; a command (`users-posts check`) runs instead.
set -eu
case "${1:-}" in
    "" | -*)
        users-posts migrate
        # exec: the server is PID 1 and gets the SIGTERM that stops the container.
        exec users-posts serve --host 0.0.0.0 --port "$PORT" "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
