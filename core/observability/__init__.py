"""Observability: health/readiness, structured redacted logging, alert rules, webhook, HTTP server.

Metrics themselves live in :mod:`core.metrics`.
"""
