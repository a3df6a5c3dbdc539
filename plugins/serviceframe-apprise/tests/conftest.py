"""serviceframe's own fixtures (sf_make_db, sf_clock…) come from its pytest plugin, turned on
by ``serviceframe = true`` in pyproject.toml (and in the host's, when run from the root)."""
