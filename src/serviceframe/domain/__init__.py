"""Plain domain objects and pure rules: no I/O, no database."""
