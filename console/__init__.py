"""Trade Console: the Textual app, its CLI and the UI bridge."""
