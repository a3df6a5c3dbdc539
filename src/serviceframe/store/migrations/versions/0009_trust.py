"""Trust: the events' hash chains and anchors; databases built by an edited 0003 brought in line

Revision ID: 0009
Revises: 0004
Create Date: 2026-11-29

Every event gets its place in its subject's chain (``seq``) and its ``hash`` (store/chain.py):
the chains of the events already stored are built here, in the order they were recorded. A
unique index on (subject, seq) replaces the index on subject; triggers make the events, and
the anchors of ``serviceframe audit anchor``, append-only (docs/audit.md).

Two commits of the first routing release created revision 0003 otherwise than 0003 does now,
and such databases report "already at schema 0003": the first (8594e33) keyed supervision
orders by (issue, deadline, round) without the due date, and both it and the next (ccc38e5)
made the three sweep indexes on ``issues`` over every row instead of only the open issues. The
repair finds each of these by looking at the database and rebuilds only what differs, so it
changes nothing on a database that 0003 built as it is now.
"""

import sqlalchemy as sa
from alembic import op

import serviceframe.store.tables
from serviceframe.store.chain import GENESIS, event_hash

revision = "0009"
down_revision = "0004"
branch_labels = None
depends_on = None

BREACH = ("issue_id", "deadline", "round", "due")
SWEEP_INDEXES = (
    ("ix_issues_status_ack_due", "ack_due", "status = 'dispatched'"),
    (
        "ix_issues_status_feedback_due",
        "feedback_due",
        "status IN ('dispatched', 'acknowledged') AND first_feedback_at IS NULL",
    ),
    (
        "ix_issues_status_resolve_due",
        "resolve_due",
        "status IN ('dispatched', 'acknowledged', 'in_progress', 'redo')",
    ),
)


APPEND_ONLY = ("events", "audit_anchors", "audit_anchor_heads")


def upgrade() -> None:
    repair_0003()
    build_chains()
    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", serviceframe.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("previous", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchors")),
        sa.UniqueConstraint("digest", name=op.f("uq_audit_anchors_digest")),
    )
    op.create_table(
        "audit_anchor_heads",
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["audit_anchors.id"],
            name=op.f("fk_audit_anchor_heads_anchor_id_audit_anchors"),
        ),
        sa.PrimaryKeyConstraint("anchor_id", "subject", name=op.f("pk_audit_anchor_heads")),
    )
    op.create_index("ix_audit_anchor_heads_subject_seq", "audit_anchor_heads", ["subject", "seq"])
    for table in APPEND_ONLY:
        append_only(table)


def build_chains() -> None:
    """Number and hash the events already stored, subject by subject in the order of their
    ids (the order they were recorded in), a chunk at a time."""
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    events = sa.table(
        "events",
        sa.column("id", sa.Integer()),
        sa.column("subject", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("actor", sa.String()),
        sa.column("at", serviceframe.store.tables.UTCDateTime()),
        sa.column("data", sa.Text()),
        sa.column("seq", sa.Integer()),
        sa.column("hash", sa.String()),
    )
    c = events.c
    bind = op.get_bind()
    update = (
        sa.update(events)
        .where(c.id == sa.bindparam("event_id"))
        .values(seq=sa.bindparam("new_seq"), hash=sa.bindparam("new_hash"))
    )
    subject, seq, previous = None, 0, GENESIS
    after: tuple[str, int] | None = None
    while True:
        data = sa.cast(c.data, sa.Text())  # the JSON as stored (psycopg would parse a json column)
        q = sa.select(c.id, c.subject, c.kind, c.actor, c.at, data).order_by(c.subject, c.id)
        if after is not None:
            q = q.where(sa.tuple_(c.subject, c.id) > sa.tuple_(*after))
        rows = bind.execute(q.limit(5000)).all()
        if not rows:
            break
        updates = []
        for event_id, subj, kind, actor, at, data in rows:
            if subj != subject:
                subject, seq, previous = subj, 0, GENESIS
            seq += 1
            previous = event_hash(previous, seq, subj, kind, actor, at, data)
            updates.append({"event_id": event_id, "new_seq": seq, "new_hash": previous})
        bind.execute(update, updates)
        after = (rows[-1].subject, rows[-1].id)
    with op.batch_alter_table("events") as batch:
        batch.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.drop_index("ix_events_subject")
        batch.create_unique_constraint("uq_events_subject_seq", ["subject", "seq"])


def append_only(table: str) -> None:
    """Triggers that refuse to change or remove a row: the library never does, and an
    operator's slip is refused rather than recorded as tampering."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION serviceframe_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
            "'% is append-only: its rows are never changed or removed', TG_TABLE_NAME; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION serviceframe_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: its rows are never changed "
            "or removed'); END"
        )


def repair_0003() -> None:
    bind = op.get_bind()
    # The schema being migrated (not necessarily the dialect's default one: `db check` builds
    # its fresh reference in a schema of its own).
    schema = (
        bind.execute(sa.text("SELECT current_schema()")).scalar()
        if bind.dialect.name == "postgresql"
        else None
    )
    inspector = sa.inspect(bind)
    keys = {
        u["name"]: tuple(u["column_names"])
        for u in inspector.get_unique_constraints("supervision_orders", schema=schema)
    }
    if keys.get("uq_supervision_orders_breach") != BREACH:
        with op.batch_alter_table("supervision_orders") as batch:
            batch.drop_constraint("uq_supervision_orders_breach", type_="unique")
            batch.create_unique_constraint("uq_supervision_orders_breach", list(BREACH))
    indexes = {i["name"]: i for i in inspector.get_indexes("issues", schema=schema)}
    for name, column, condition in SWEEP_INDEXES:
        found = indexes.get(name)
        options = found.get("dialect_options", {}) if found else {}
        partial = options.get("postgresql_where") or options.get("sqlite_where")
        if (
            found is not None
            and partial is not None
            and found["column_names"] == ["status", column]
        ):
            continue
        if found is not None:
            op.drop_index(name, table_name="issues")
        op.create_index(
            name,
            "issues",
            ["status", column],
            unique=False,
            sqlite_where=sa.text(condition),
            postgresql_where=sa.text(condition),
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY:
        if postgresql:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        else:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_append_only_{action}")
    if postgresql:
        op.execute("DROP FUNCTION serviceframe_append_only()")
    op.drop_index("ix_audit_anchor_heads_subject_seq", table_name="audit_anchor_heads")
    op.drop_table("audit_anchor_heads")
    op.drop_table("audit_anchors")
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint("uq_events_subject_seq", type_="unique")
        batch.create_index("ix_events_subject", ["subject"], unique=False)
        batch.drop_column("hash")
        batch.drop_column("seq")
    # The repair of 0003 is 0003's own shape: nothing to undo.
