"""Use cases as plain functions: each takes the app (and an actor), runs one unit of work."""
