"""Plain fakes, data and types the tests share (no tests and no fixtures here)."""
