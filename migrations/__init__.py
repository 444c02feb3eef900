"""Alembic's environment (env.py) and the reviewed revisions (versions/), shipped inside the package so
that `users-posts migrate` finds them wherever the project is installed."""
