"""Appending to more event chains in one unit of work than PostgreSQL's lock table holds: a
first escalation run over a large store supervises tens of thousands of issues at once."""

from sqlalchemy import text

from serviceframe.services.audit import verify
from serviceframe.services.events import event_row

# Three times max_locks_per_transaction (64) × max_connections (100), PostgreSQL's defaults.
CHAINS = 20_000


def test_one_unit_of_work_appends_to_thousands_of_chains(app, now):
    for round_ in (1, 2):  # the second time every chain has a head to read and lock
        with app.uow() as uow:
            uow.record(
                [
                    event_row("probed", f"probe:{n}", "test", now, round=round_)
                    for n in range(CHAINS)
                ]
            )
            uow.commit()
    with app.engine.connect() as conn:
        heads = conn.execute(
            text("SELECT count(*), min(seq), max(seq) FROM events WHERE subject LIKE 'probe:%'")
        ).one()
    assert tuple(heads) == (2 * CHAINS, 1, 2)
    assert verify(app).ok


def test_a_long_unit_of_work_forgets_heads_and_reads_them_back(app, now, monkeypatch):
    """An import of a million rows keeps a bounded number of chain heads in memory; an event
    of a chain whose head was forgotten still links to the one before it."""
    from serviceframe.store import chain

    monkeypatch.setattr(chain, "KEPT_HEADS", 10)
    with app.uow() as uow:
        for batch in range(5):  # 5 × 8 chains opened: more than the heads kept
            uow.record(
                [event_row("filed", f"kept:{batch}-{n}", "test", now, n=n) for n in range(8)]
            )
            assert len(uow.events.chains.heads) <= 10 + 8
        uow.record([event_row("probed", "kept:0-0", "test", now)])  # forgotten long ago
        uow.commit()
    with app.engine.connect() as conn:
        seqs = conn.execute(
            text("SELECT seq FROM events WHERE subject = 'kept:0-0' ORDER BY seq")
        ).scalars()
        assert list(seqs) == [1, 2]
    assert verify(app).ok
