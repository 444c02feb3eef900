"""Prometheus metrics of the HTTP interface: requests answered, their duration, those in flight."""

from prometheus_client import Counter, Gauge, Histogram

UNMATCHED_ROUTE = "unmatched"  # the route label of every path no route matches

REQUESTS = Counter("http_requests_total", "HTTP requests answered", ["method", "route", "status"])
REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds",
    "Time from receiving a request to its last response byte",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
IN_FLIGHT = Gauge("http_requests_in_flight", "HTTP requests being answered", multiprocess_mode="livesum")
