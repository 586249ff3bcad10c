"""The core engine. Never imports textual, console or widgets."""
