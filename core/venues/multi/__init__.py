"""The composite venue: several venues behind the one port, routed by venue-qualified symbol."""
