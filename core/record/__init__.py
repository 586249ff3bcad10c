"""Recording public market streams to compressed files, and reading them back (see docs/recording.md)."""
