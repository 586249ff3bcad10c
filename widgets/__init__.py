"""Reusable panes. A widget renders plain data it is given; it never calls the engine.

Their styles use the trading theme variables (``$bid``, ``$pnl-up``, ``$risk-hot`` ...): a host app
returns ``themes.THEME_VARIABLE_DEFAULTS`` from ``get_theme_variable_defaults()`` (or registers a
theme from :mod:`themes`)."""
