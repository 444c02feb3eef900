"""Traces: OpenTelemetry's SDK, configured by its standard OTEL_* variables, made and started only when
tracing is on (infrastructure.tracing.setup); the use cases' spans (use_cases); the W3C trace context
of the work that leaves a request (context)."""
