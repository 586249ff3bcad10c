"""Screens: the main dashboard, the order ticket and the confirmation modals."""
