"""Fail early, in one line, when the postgresql tox env has no PostgreSQL to test on.

Without this an empty ``SERVICEFRAME_TEST_DB`` would quietly run the suite on SQLite, and a
server that is down would fail every test with the same connection error.
"""

import os
import sys


def main() -> int:
    url = os.environ.get("SERVICEFRAME_TEST_DB", "")
    if not url.startswith("postgres"):
        print(f"SERVICEFRAME_TEST_DB={url!r}: the postgresql env needs a postgresql:// URL")
        return 1
    from sqlalchemy import text

    from serviceframe.store.database import make_engine, safe_url

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("show server_version")).scalar()
    except Exception as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        print(f"cannot connect to {safe_url(str(engine.url))}: {detail}")
        return 1
    finally:
        engine.dispose()
    print(f"testing on PostgreSQL {version} at {safe_url(str(engine.url))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
