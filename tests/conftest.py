"""Fixtures shared by every test folder live in ``tests/fixtures``; each module is registered here."""

pytest_plugins = ["tests.fixtures.engine_support"]
