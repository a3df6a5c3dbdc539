"""serviceframe: a city's long-term mechanism for serving industrial enterprises.

Importing the package is cheap on purpose: the store (SQLAlchemy) is imported only by the
code that touches the database, so ``serviceframe --help`` and ``plugins list`` start fast.
"""

__version__ = "0.1.0"
