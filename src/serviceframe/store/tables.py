"""The schema, as SQLAlchemy Core tables.

Core rather than the ORM: the domain objects are frozen attrs values, the repositories translate
rows to them explicitly, and bulk work is written as set-based SQL. Migrations under
``migrations/`` build exactly this schema; a test compares the two.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.types import TypeDecorator

# Constraint names are part of the schema that migrations must reproduce (Alembic naming.rst).
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Partial indexes (an index of the rows matching a condition) and their conditions, SQL text
# that is the same on SQLite and PostgreSQL. The condition is handed to SQLAlchemy as
# ``sqlite_where``/``postgresql_where`` only for the database in use (``declare_partial_indexes``):
# naming ``postgresql_where`` here would make SQLAlchemy import its PostgreSQL dialect (and
# asyncio) to check the argument, on SQLite too, a tenth of every command's start-up.
PARTIAL_INDEXES: list[tuple[Index, str]] = []


def partial_index(name: str, *columns: Column[Any], where: str, unique: bool = False) -> Index:
    index = Index(name, *columns, unique=unique)
    PARTIAL_INDEXES.append((index, where))
    return index


def declare_partial_indexes(dialect_name: str) -> None:
    """Give the partial indexes their conditions for ``dialect_name`` (``sqlite`` or
    ``postgresql``). Whatever emits or compares this schema's DDL calls it first: the
    migrations' environment does, and ``metadata.create_all`` (below)."""
    for index, where in PARTIAL_INDEXES:
        index.dialect_options[dialect_name]["where"] = text(where)


@event.listens_for(metadata, "before_create")
def _before_create(_metadata: MetaData, connection: Connection, **_kw: Any) -> None:
    declare_partial_indexes(connection.dialect.name)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back time-zone aware.

    SQLite has no time zone type; without this a naive value would silently mean local time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: serviceframe stores aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


jurisdictions = Table(
    "jurisdictions",
    metadata,
    Column("code", String(6), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("parent_code", String(6), ForeignKey("jurisdictions.code"), nullable=True),
)

units = Table(
    "units",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("jurisdiction_code", String(6), ForeignKey("jurisdictions.code"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("phone", String(50), nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("addresses", JSON, nullable=False, server_default="{}"),  # migration 0005
)

officials = Table(
    "officials",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("title", String(100), nullable=False),
    Column("role", String(40), nullable=False),
    Column("jurisdiction_code", String(6), ForeignKey("jurisdictions.code"), nullable=False),
    Column("unit_id", String(64), ForeignKey("units.id"), nullable=True),
    Column("phone", String(50), nullable=False, server_default=""),
    Column("email", String(200), nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("addresses", JSON, nullable=False, server_default="{}"),  # migration 0005
)

# Portfolios (分管) as rows, so routing can join on them instead of scanning JSON.
portfolio_categories = Table(
    "portfolio_categories",
    metadata,
    Column("official_id", String(64), ForeignKey("officials.id"), primary_key=True),
    Column("category", Integer, primary_key=True),
)

portfolio_units = Table(
    "portfolio_units",
    metadata,
    Column("official_id", String(64), ForeignKey("officials.id"), primary_key=True),
    Column("unit_id", String(64), ForeignKey("units.id"), primary_key=True),
)

leading_groups = Table(
    "leading_groups",
    metadata,
    Column("jurisdiction_code", String(6), ForeignKey("jurisdictions.code"), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("leader_id", String(64), ForeignKey("officials.id"), nullable=False),
    Column("office_unit_id", String(64), ForeignKey("units.id"), nullable=False),
)

group_deputies = Table(
    "group_deputies",
    metadata,
    Column(
        "jurisdiction_code",
        String(6),
        ForeignKey("leading_groups.jurisdiction_code"),
        primary_key=True,
    ),
    Column("official_id", String(64), ForeignKey("officials.id"), primary_key=True),
    Column("position", Integer, nullable=False),
)

group_members = Table(
    "group_members",
    metadata,
    Column(
        "jurisdiction_code",
        String(6),
        ForeignKey("leading_groups.jurisdiction_code"),
        primary_key=True,
    ),
    Column("unit_id", String(64), ForeignKey("units.id"), primary_key=True),
)

# Organisation-wide settings that are not rows of their own (deadline rules, taxonomy edits,
# quotas), stored as the JSON the organisation file gave.
settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

enterprises = Table(
    "enterprises",
    metadata,
    Column("credit_code", String(18), primary_key=True),
    Column("name", String(200), nullable=False),
    Column(
        "jurisdiction_code", String(6), ForeignKey("jurisdictions.code"), nullable=False, index=True
    ),
    Column("industry", String(5), nullable=False),
    # none < county < city < province: a level implies every level below it (migration 0004
    # added province).
    Column("key_level", String(10), nullable=False, server_default="none", index=True),
    Column("contacts", JSON, nullable=False),
    Column("address", String(300), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("key_level IN ('none', 'county', 'city', 'province')", name="key_level"),
)

assignments = Table(
    "assignments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(10), nullable=False),
    Column(
        "enterprise_code",
        String(18),
        ForeignKey("enterprises.credit_code"),
        nullable=False,
        index=True,
    ),
    Column("official_id", String(64), ForeignKey("officials.id"), nullable=False, index=True),
    Column("unit_id", String(64), ForeignKey("units.id"), nullable=True),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("ended_reason", String(200), nullable=False, server_default=""),
    # The level the official serves (migration 0004): an enterprise has one contact per level,
    # so a province key enterprise can be paired with a province, a city and a county leader.
    Column("jurisdiction_code", String(6), ForeignKey("jurisdictions.code"), nullable=False),
    CheckConstraint("kind IN ('contact', 'liaison')", name="kind"),
    CheckConstraint("kind = 'contact' OR unit_id IS NOT NULL", name="liaison_has_unit"),
)
# One current contact per enterprise and level, one current liaison per enterprise and department.
partial_index(
    "uq_assignments_current_contact",
    assignments.c.enterprise_code,
    assignments.c.jurisdiction_code,
    unique=True,
    where="kind = 'contact' AND valid_to IS NULL",
)
partial_index(
    "uq_assignments_current_liaison",
    assignments.c.enterprise_code,
    assignments.c.unit_id,
    unique=True,
    where="kind = 'liaison' AND valid_to IS NULL",
)

# Append-only history of every change (issue events, and audit records of the registry).
# Each subject's events form a hash chain (store/chain.py, migration 0009): ``seq`` numbers them
# 1, 2, 3… and ``hash`` chains each to the one before; triggers refuse UPDATE and DELETE.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("subject", String(100), nullable=False),  # "enterprise:<code>", "issue:<id>"
    Column("data", JSON, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("subject", "seq", name="uq_events_subject_seq"),
)

# --- Issues (migration 0002) -----------------------------------------------------------------

# The folded state of each issue, for querying; the events table holds the record.
issues = Table(
    "issues",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "enterprise_code",
        String(18),
        ForeignKey("enterprises.credit_code"),
        nullable=False,
        index=True,
    ),
    Column("source", String(40), nullable=False),
    Column("external_id", String(200), nullable=True),
    Column("origin", String(200), nullable=True),
    # Who raised it is shown to the office only (docs/identities.md). Migration 0013.
    Column("confidential", Boolean, nullable=False, server_default=text("false")),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("category", Integer, nullable=False),
    Column("suggested_category", Integer, nullable=False),
    Column("severity", String(10), nullable=False),
    Column("received_at", UTCDateTime, nullable=False, index=True),
    Column("received_by", String(64), nullable=False),
    Column("owner", String(64), nullable=False),
    Column("lead_unit", String(64), ForeignKey("units.id"), nullable=True, index=True),
    Column("dispatched_at", UTCDateTime, nullable=True),
    Column("ack_due", Date, nullable=True),
    Column("ack_provisional", Boolean, nullable=False, server_default=text("false")),
    Column("acknowledged_at", UTCDateTime, nullable=True),
    Column("feedback_due", Date, nullable=True),
    Column("feedback_provisional", Boolean, nullable=False, server_default=text("false")),
    Column("first_feedback_at", UTCDateTime, nullable=True),
    Column("resolve_due", Date, nullable=True),
    Column("resolve_provisional", Boolean, nullable=False, server_default=text("false")),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolution", Text, nullable=False, server_default=""),
    Column("round", Integer, nullable=False, server_default="1"),
    Column("redo_count", Integer, nullable=False, server_default="0"),
    Column("satisfaction", String(12), nullable=True),
    Column("rated_at", UTCDateTime, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("reject_reason", String(500), nullable=False, server_default=""),
    Column("merged_into", Integer, ForeignKey("issues.id"), nullable=True),
    Column("duplicates", Integer, nullable=False, server_default="0"),
    Column("possible_duplicates", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    CheckConstraint("category BETWEEN 0 AND 9", name="category"),
    CheckConstraint("severity IN ('general', 'major', 'policy')", name="severity"),
)
# The same message from the same channel is one issue, however often it is delivered.
partial_index(
    "uq_issues_source_external_id",
    issues.c.source,
    issues.c.external_id,
    unique=True,
    where="external_id IS NOT NULL",
)
Index("ix_issues_status_received", issues.c.status, issues.c.received_at)
Index("ix_issues_enterprise_received", issues.c.enterprise_code, issues.c.received_at)

# Units handling an issue: the lead unit (主办) and co-handling units (协办), for the ledger.
issue_units = Table(
    "issue_units",
    metadata,
    Column("issue_id", Integer, ForeignKey("issues.id"), primary_key=True),
    Column("unit_id", String(64), ForeignKey("units.id"), primary_key=True, index=True),
    Column("role", String(4), nullable=False),
    CheckConstraint("role IN ('lead', 'co')", name="role"),
)

# One rating per resolution round (R9: satisfaction is the sole standard).
ratings = Table(
    "ratings",
    metadata,
    Column("issue_id", Integer, ForeignKey("issues.id"), primary_key=True),
    Column("round", Integer, primary_key=True),
    Column("satisfaction", String(12), nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("rated_at", UTCDateTime, nullable=False),
    Column("rated_by", String(100), nullable=False),
    Column("lead_unit", String(64), ForeignKey("units.id"), nullable=True, index=True),
    CheckConstraint("satisfaction IN ('satisfied', 'basic', 'unsatisfied')", name="satisfaction"),
)

# --- Routing and escalation (migration 0003) -------------------------------------------------

# The issue's place on the ladder, folded from its routing events (routed, escalated,
# clustered, queued, decided); kept apart from the lifecycle row, which it does not change.
issue_routing = Table(
    "issue_routing",
    metadata,
    Column("issue_id", Integer, ForeignKey("issues.id"), primary_key=True),
    Column("level", String(6), ForeignKey("jurisdictions.code"), nullable=False),
    Column("rung", String(24), nullable=False),
    Column("official", String(64), ForeignKey("officials.id"), nullable=True, index=True),
    Column("reason", String(500), nullable=False, server_default=""),
    Column("informed", JSON, nullable=False),
    Column("escalations", Integer, nullable=False, server_default="0"),
    Column("topic", String(100), nullable=True, index=True),
    Column("cluster_id", Integer, ForeignKey("clusters.id"), nullable=True, index=True),
    Column("agenda_item_id", Integer, nullable=True),
    Column("decision", Text, nullable=False, server_default=""),
    Column("updated_at", UTCDateTime, nullable=False),
    # The latest supervision order's reply limit: past it, a still open issue is followed up
    # (催办); cleared once the issue is no longer open (督办销号). Migration 0004.
    Column("reply_due", Date, nullable=True),
    Column("listed_at", UTCDateTime, nullable=True),  # 挂牌督办: long-overdue at the top
)
# The follow-up sweep reads only the issues whose order awaits an answer.
partial_index(
    "ix_issue_routing_reply_due",
    issue_routing.c.reply_due,
    where="reply_due IS NOT NULL",
)

# 督办: one order per missed deadline (issue, which deadline, round, due date: a re-dispatched
# issue has new deadlines), so a sweep run twice at the same moment changes nothing. A reply
# limit passed with the issue still open gives a follow-up order ("follow_up", due = that
# limit), and at the top of the ladder a listing as long-overdue ("listed").
supervision_orders = Table(
    "supervision_orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issue_id", Integer, ForeignKey("issues.id"), nullable=False, index=True),
    Column("deadline", String(12), nullable=False),
    Column("round", Integer, nullable=False),
    Column("due", Date, nullable=False),
    Column("overdue_unit", String(64), nullable=True),
    Column("overdue_official", String(64), nullable=True),
    Column("from_level", String(6), nullable=False),
    Column("from_rung", String(24), nullable=False),
    Column("from_official", String(64), nullable=True),
    Column("to_level", String(6), nullable=False),
    Column("to_rung", String(24), nullable=False),
    Column("to_official", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(100), nullable=False),
    # The working day by which the overdue unit must answer the order (migration 0004); None
    # for a listing as long-overdue (挂牌督办), which is not followed up again.
    Column("reply_due", Date, nullable=True),
    UniqueConstraint("issue_id", "deadline", "round", "due", name="uq_supervision_orders_breach"),
)

# 倾向性、普遍性问题: the same topic raised by many enterprises in several counties.
clusters = Table(
    "clusters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("topic", String(100), nullable=False, index=True),
    Column("category", Integer, nullable=False),
    Column("level", String(6), nullable=False),
    Column("rung", String(24), nullable=False),
    Column("official", String(64), nullable=True),
    Column("reason", String(500), nullable=False, server_default=""),
    Column("status", String(10), nullable=False, server_default="open"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolution", Text, nullable=False, server_default=""),
)

meetings = Table(
    "meetings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("jurisdiction", String(6), ForeignKey("jurisdictions.code"), nullable=False),
    Column("date", Date, nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
    UniqueConstraint("jurisdiction", "date", name="uq_meetings_jurisdiction_date"),
)

# Items for the government's executive meeting (常务会议): policy issues and clusters.
agenda_items = Table(
    "agenda_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("jurisdiction", String(6), ForeignKey("jurisdictions.code"), nullable=False),
    Column("meeting_id", Integer, ForeignKey("meetings.id"), nullable=True, index=True),
    Column("issue_id", Integer, ForeignKey("issues.id"), nullable=True, unique=True),
    Column("cluster_id", Integer, ForeignKey("clusters.id"), nullable=True, unique=True),
    Column("title", String(300), nullable=False),
    Column("queued_at", UTCDateTime, nullable=False),
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("decision", Text, nullable=False, server_default=""),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("decided_by", String(100), nullable=True),
    CheckConstraint("(issue_id IS NULL) <> (cluster_id IS NULL)", name="one_subject"),
)

# The sweep reads only issues whose deadline has passed. Each deadline has a partial index
# holding just the issues in which it can still be missed (a small share of the store), so the
# sweep's range scan, and the planner's estimate, follow the open issues past due, not the store.
# The conditions are SQL text shared with the sweep's query: a database uses a partial index
# only when the query states the index's condition itself.
OPEN_FOR_ACKNOWLEDGE = "status = 'dispatched'"
OPEN_FOR_FEEDBACK = "status IN ('dispatched', 'acknowledged') AND first_feedback_at IS NULL"
OPEN_FOR_RESOLVE = "status IN ('dispatched', 'acknowledged', 'in_progress', 'redo')"
for _name, _due, _open in (
    ("ix_issues_status_ack_due", issues.c.ack_due, OPEN_FOR_ACKNOWLEDGE),
    ("ix_issues_status_feedback_due", issues.c.feedback_due, OPEN_FOR_FEEDBACK),
    ("ix_issues_status_resolve_due", issues.c.resolve_due, OPEN_FOR_RESOLVE),
):
    partial_index(_name, issues.c.status, _due, where=_open)

# --- Policy catalogue (migration 0007) -------------------------------------------------------

# 涉企政策: what the portal's policy lookup searches. ``search_title`` and ``search_body`` are
# the folded text search compares (``domain.policy.fold``; the body column also holds the
# document number and issuer, so that those are found too); ``fingerprint`` is a hash of the
# policy's fields, so that importing the same file again can tell "unchanged" without reading
# every full text back.
policies = Table(
    "policies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("doc_no", String(100), nullable=True),
    Column("title", String(300), nullable=False),
    Column("issuer", String(200), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("body", Text, nullable=False),
    Column("source_url", String(500), nullable=False, server_default=""),
    Column("search_title", Text, nullable=False),
    Column("search_body", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
# A policy's identity: its document number (文号) when it has one, else title, issuer and date.
Index("uq_policies_doc_no", policies.c.doc_no, unique=True)
Index("ix_policies_issuer_issued_on", policies.c.issuer, policies.c.issued_on)

policy_categories = Table(
    "policy_categories",
    metadata,
    Column("policy_id", Integer, ForeignKey("policies.id"), primary_key=True),
    Column("category", Integer, primary_key=True, index=True),
    CheckConstraint("category BETWEEN 1 AND 9", name="category"),
)

# GB/T 4754 codes at any level (C, C26, C261, C2614); a policy without rows is for every industry.
policy_industries = Table(
    "policy_industries",
    metadata,
    Column("policy_id", Integer, ForeignKey("policies.id"), primary_key=True),
    Column("industry", String(5), primary_key=True, index=True),
)

# Enterprise sizes a policy is for; a policy without rows is for every size.
policy_sizes = Table(
    "policy_sizes",
    metadata,
    Column("policy_id", Integer, ForeignKey("policies.id"), primary_key=True),
    Column("size", String(10), primary_key=True),
    CheckConstraint("size IN ('large', 'medium', 'small', 'micro')", name="size"),
)


def outside_metadata(name: str | None) -> bool:
    """Whether a database object is built by the migrations but not described here: the
    policy search index, which differs by database (an FTS5 table and its triggers on SQLite,
    pg_trgm GIN indexes on PostgreSQL; see ``store/policy_search.py``). Schema comparisons
    skip these names."""
    return bool(name) and (name == "policy_search" or str(name).startswith("policy_search_"))


# --- Channels and the outbox (migration 0005) ------------------------------------------------

# The phones and e-mail addresses of enterprises' contact people, kept beside the registry's
# JSON so that an inbound message's sender is found by an index, not by reading every enterprise.
contact_addresses = Table(
    "contact_addresses",
    metadata,
    Column("kind", String(20), primary_key=True),  # "email" or "phone"
    Column("value", String(200), primary_key=True),  # normalised: lower-case e-mail, digits
    Column(
        "enterprise_code",
        String(18),
        ForeignKey("enterprises.credit_code"),
        primary_key=True,
        index=True,
    ),
    Column("contact", Integer, nullable=False),  # position in the enterprise's contacts
)

# The transactional outbox: each notification is written in the transaction of the change that
# causes it, and delivered later by `outbox deliver`, which claims rows, sends, and records.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(32), nullable=False, unique=True),  # the delivery key, per notification
    Column("channel", String(64), nullable=True),  # NULL: no configured channel reaches them
    Column("kind", String(30), nullable=False),
    Column("recipient_kind", String(10), nullable=False),
    Column("recipient_id", String(100), nullable=False),
    Column("recipient_name", String(100), nullable=False),
    Column("jurisdiction", String(6), nullable=False),
    Column("address", String(300), nullable=False, server_default=""),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("issue_id", Integer, ForeignKey("issues.id"), nullable=True, index=True),
    Column("round", Integer, nullable=True),
    Column("cause", String(100), nullable=False),
    Column("data", JSON, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claim", String(32), nullable=True),
    Column("claimed_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("receipt", String(300), nullable=False, server_default=""),
    Column("last_error", Text, nullable=False, server_default=""),
    CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
)
partial_index(
    "ix_outbox_due",
    outbox.c.next_attempt_at,
    where="status = 'pending'",
)
partial_index(
    "ix_outbox_sending",
    outbox.c.claimed_at,
    where="status = 'sending'",
)
Index("ix_outbox_status_id", outbox.c.status, outbox.c.id)
Index("ix_outbox_channel_address", outbox.c.channel, outbox.c.address)

# Every attempt at a notification; an attempt without an outcome is one whose deliverer
# stopped between sending and recording.
outbox_attempts = Table(
    "outbox_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("outbox_id", Integer, ForeignKey("outbox.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("worker", String(100), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("outcome", String(10), nullable=True),
    Column("detail", Text, nullable=False, server_default=""),
)

# Every message a channel brought in, once per (channel, message id): what became of it, and,
# while it waits in the quarantine, the raw message itself.
inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),
    Column("message_id", String(200), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("sender", String(300), nullable=False, server_default=""),
    Column("status", String(12), nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("issue_id", Integer, ForeignKey("issues.id"), nullable=True, index=True),
    Column("payload", LargeBinary, nullable=True),
    Column("meta", JSON, nullable=False),
    Column("attachments", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("channel", "message_id", name="uq_inbound_messages_channel_message"),
    CheckConstraint(
        "status IN ('received', 'filed', 'replied', 'rated', 'quarantined', 'dismissed')",
        name="status",
    ),
)
partial_index(
    "ix_inbound_messages_quarantined",
    inbound_messages.c.id,
    where="status = 'quarantined'",
)

# --- Visits (migration 0006) -----------------------------------------------------------------

# R5: visits to enterprises (走访调研), enterprise symposiums (座谈会) and on-site office days
# (现场办公). ``ref`` is the clerk's own number, so importing the same sheet twice adds nothing.
visits = Table(
    "visits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(100), nullable=True, unique=True),
    Column("kind", String(12), nullable=False),
    Column("date", Date, nullable=False, index=True),
    Column(
        "jurisdiction_code", String(6), ForeignKey("jurisdictions.code"), nullable=False, index=True
    ),
    Column("subject", String(200), nullable=False, server_default=""),
    Column("place", String(200), nullable=False, server_default=""),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", String(100), nullable=False),
    CheckConstraint("kind IN ('visit', 'symposium', 'onsite')", name="kind"),
)

visit_units = Table(
    "visit_units",
    metadata,
    Column("visit_id", Integer, ForeignKey("visits.id"), primary_key=True),
    Column("unit_id", String(64), ForeignKey("units.id"), primary_key=True, index=True),
)

visit_officials = Table(
    "visit_officials",
    metadata,
    Column("visit_id", Integer, ForeignKey("visits.id"), primary_key=True),
    Column("official_id", String(64), ForeignKey("officials.id"), primary_key=True, index=True),
)

visit_enterprises = Table(
    "visit_enterprises",
    metadata,
    Column("visit_id", Integer, ForeignKey("visits.id"), primary_key=True),
    Column(
        "enterprise_code",
        String(18),
        ForeignKey("enterprises.credit_code"),
        primary_key=True,
        index=True,
    ),
)

# What a visit found, in order; a finding that raises a problem points at the issue filed for
# it (source ``visit``, origin ``visit:<id>``).
visit_findings = Table(
    "visit_findings",
    metadata,
    Column("visit_id", Integer, ForeignKey("visits.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("enterprise_code", String(18), ForeignKey("enterprises.credit_code"), nullable=True),
    Column("text", Text, nullable=False),
    Column("problem", Boolean, nullable=False),
    Column("issue_id", Integer, ForeignKey("issues.id"), nullable=True, unique=True),
)

# Assessment and reports count the ratings given in a period.
Index("ix_ratings_rated_at", ratings.c.rated_at)

# --- Trust (migration 0009) ------------------------------------------------------------------

# Anchors of the history (``serviceframe audit anchor``): each certifies the head of every chain
# that grew since the anchor before it, and is chained to that anchor. Their digests, exported
# and kept elsewhere, expose a history rewritten from the start (docs/audit.md).
audit_anchors = Table(
    "audit_anchors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("previous", String(64), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("events", Integer, nullable=False),  # events in the store when it was taken
)

audit_anchor_heads = Table(
    "audit_anchor_heads",
    metadata,
    Column("anchor_id", Integer, ForeignKey("audit_anchors.id"), primary_key=True),
    Column("subject", String(100), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_anchor_heads_subject_seq", audit_anchor_heads.c.subject, audit_anchor_heads.c.seq)

# --- Operating indicators, warnings and policy pushes (migration 0012) -----------------------

# Monthly operating indicators per enterprise (工业运行监测): one figure per enterprise, month
# and indicator (domain/indicators.py). ``month_no`` is ``year * 12 + month - 1``, so that a
# year earlier is ``month_no - 12`` in plain SQL on every database.
indicators = Table(
    "indicators",
    metadata,
    Column("enterprise_code", String(18), ForeignKey("enterprises.credit_code"), primary_key=True),
    Column("indicator", String(20), primary_key=True),
    Column("month_no", Integer, primary_key=True),
    Column("value", Float, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("indicator IN ('electricity', 'output', 'tax', 'employees')", name="indicator"),
)
# The rules read one indicator for one month (or a few) over every enterprise.
Index("ix_indicators_indicator_month_no", indicators.c.indicator, indicators.c.month_no)

# Early warnings (预测预警): raised once per enterprise, month and rule of the organisation file.
warnings = Table(
    "warnings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "enterprise_code",
        String(18),
        ForeignKey("enterprises.credit_code"),
        nullable=False,
        index=True,
    ),
    Column("month_no", Integer, nullable=False, index=True),
    Column("rule", String(40), nullable=False),
    Column("indicator", String(20), nullable=False),
    Column("value", Float, nullable=False),  # the month's figure
    Column("reference", Float, nullable=True),  # what it was measured against
    Column("detail", String(300), nullable=False),  # in Chinese, for people
    Column("raised_at", UTCDateTime, nullable=False),
    Column("issue_id", Integer, ForeignKey("issues.id"), nullable=True),
    UniqueConstraint("enterprise_code", "month_no", "rule", name="uq_warnings_enterprise_month"),
)

# Policies pushed to enterprises (政策推送): one row per policy and enterprise, so a policy is
# pushed once however often it is imported or changed.
policy_pushes = Table(
    "policy_pushes",
    metadata,
    Column("policy_id", Integer, ForeignKey("policies.id"), primary_key=True),
    Column("enterprise_code", String(18), ForeignKey("enterprises.credit_code"), primary_key=True),
    Column("pushed_at", UTCDateTime, nullable=False),
    Column("recipients", Integer, nullable=False),  # outbox rows written for it
)


# --- Major projects and service events (migration 0011) ---------------------------------------

# Category 5: a key project of an enterprise and its approval steps (一站式全程代理). ``ref`` is
# the project's own number (项目编号): importing the same sheet twice adds nothing. Amounts are
# in 万元, whole.
projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(100), nullable=True, unique=True),
    Column(
        "enterprise_code",
        String(18),
        ForeignKey("enterprises.credit_code"),
        nullable=False,
        index=True,
    ),
    Column("name", String(200), nullable=False),
    Column("investment", Integer, nullable=False),
    Column("industry", String(5), nullable=False, server_default=""),
    Column(
        "jurisdiction_code", String(6), ForeignKey("jurisdictions.code"), nullable=False, index=True
    ),
    Column("leader", String(64), ForeignKey("officials.id"), nullable=True),
    Column("lead_unit", String(64), ForeignKey("units.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("investment >= 0", name="investment"),
)

# The steps of a project, copied from its jurisdiction's template when it was added (a later
# template change leaves running projects alone). ``due`` is the last working day of the limit
# counted from the latest submission; a step still submitted after it becomes an issue
# (source ``project``), linked here.
project_steps = Table(
    "project_steps",
    metadata,
    Column("project_id", Integer, ForeignKey("projects.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("name", String(40), nullable=False),
    Column("unit_id", String(64), ForeignKey("units.id"), nullable=False, index=True),
    Column("limit_days", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Column("submitted_at", UTCDateTime, nullable=True),
    Column("due", Date, nullable=True),
    Column("due_provisional", Boolean, nullable=False, server_default=text("false")),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("issue_id", Integer, ForeignKey("issues.id"), nullable=True),
    CheckConstraint(
        "status IN ('not_started', 'submitted', 'approved', 'returned', 'waived')", name="status"
    ),
    UniqueConstraint("project_id", "name", name="uq_project_steps_project_name"),
)
Index("ix_project_steps_status_due", project_steps.c.status, project_steps.c.due)

# Service events (服务活动): bank–enterprise matchmaking (银企对接, category 3), policy briefings
# and training (category 8). ``organisers`` are unit ids.
service_events = Table(
    "service_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(12), nullable=False),
    Column("title", String(200), nullable=False),
    Column("date", Date, nullable=False, index=True),
    Column("jurisdiction_code", String(6), ForeignKey("jurisdictions.code"), nullable=False),
    Column("place", String(200), nullable=False, server_default=""),
    Column("organisers", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("kind IN ('matchmaking', 'briefing', 'training')", name="kind"),
)

# Who was invited, who came, and (matchmaking) the loans intended and signed, in 万元.
service_event_enterprises = Table(
    "service_event_enterprises",
    metadata,
    Column("event_id", Integer, ForeignKey("service_events.id"), primary_key=True),
    Column(
        "enterprise_code",
        String(18),
        ForeignKey("enterprises.credit_code"),
        primary_key=True,
        index=True,
    ),
    Column("invited_at", UTCDateTime, nullable=False),
    Column("attended", Boolean, nullable=True),  # None: not yet recorded
    Column("bank", String(100), nullable=False, server_default=""),
    Column("intended", Integer, nullable=False, server_default="0"),
    Column("signed", Integer, nullable=False, server_default="0"),
    Column("note", Text, nullable=False, server_default=""),
    CheckConstraint("intended >= 0 AND signed >= 0", name="amounts"),
)


# --- The enterprise portal: sign-in codes, survey links, solicitation letters (migration 0010) --

# One-time sign-in codes sent to an enterprise contact (only the code's hash is kept).
portal_codes = Table(
    "portal_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("enterprise_code", String(18), ForeignKey("enterprises.credit_code"), nullable=False),
    Column("contact", Integer, nullable=False),  # position in the enterprise's contacts
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("used_at", UTCDateTime, nullable=True),
)
Index("ix_portal_codes_enterprise_code", portal_codes.c.enterprise_code, portal_codes.c.contact)

# A satisfaction survey link (满意度评价链接): signed, bound to one issue and resolution round,
# used once. A link a notification carried is stored when it is first used.
survey_links = Table(
    "survey_links",
    metadata,
    Column("nonce", String(32), primary_key=True),
    Column("issue_id", Integer, ForeignKey("issues.id"), nullable=False, index=True),
    Column("round", Integer, nullable=False),
    Column("enterprise_code", String(18), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

# Solicitation letters (企业意见建议征询函): a questionnaire sent to enterprises, one answer each.
letters = Table(
    "letters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(300), nullable=False),
    Column("questions", JSON, nullable=False),  # a list of question texts
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(100), nullable=False),
)

letter_recipients = Table(
    "letter_recipients",
    metadata,
    Column("letter_id", Integer, ForeignKey("letters.id"), primary_key=True),
    Column("enterprise_code", String(18), ForeignKey("enterprises.credit_code"), primary_key=True),
    Column("nonce", String(32), nullable=False, unique=True),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("answered_at", UTCDateTime, nullable=True),
    Column("answers", JSON, nullable=True),  # question index -> answer text
    Column("problem", Text, nullable=False, server_default=""),
    Column("issue_id", Integer, ForeignKey("issues.id"), nullable=True),
)
