"""Policy push (政策推送): a policy added to the catalogue is told to the enterprises it fits,
once, through their channels (R4: 涉企政策 reach the enterprises, not only the portal).

When a unit of work that added policies commits (``policy_added`` events, from ``policy add``
or an import), :func:`notices` — called by services/notifications.py before the commit — finds
the enterprises each policy fits, writes a message for each of their contact people to the
outbox and records the push (``policy_pushes``), in the same transaction. A policy is pushed to
an enterprise at most once: updating or importing it again sends nothing.

An enterprise fits a policy when its industry is one the policy names (at any level of
GB/T 4754; a policy naming none is for every industry), its size is one the policy names (the
size comes from its reported indicators, services/indicators.py :func:`sizes`; an enterprise
whose size is not known fits only policies for every size), and the policy is of a service
category ``[policy_push] categories`` lists (all when empty). An expired policy is not pushed,
nor one issued more than ``max_age_days`` (90) days before it is added.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from serviceframe.domain.principal import Action
from serviceframe.serialise import converter
from serviceframe.store import tables as t


def notices(
    app: Any, uow: Any, plan: Any, events: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    from serviceframe.orgfile import PolicyPushRules
    from serviceframe.services import addresses
    from serviceframe.services.configured import organisation_of
    from serviceframe.services.indicators import sizes
    from serviceframe.services.notifications import compose_message
    from serviceframe.services.policies import today

    added = sorted({e["data"]["policy"] for e in events if e["kind"] == "policy_added"})
    if not added:
        return []
    settings = converter.structure(uow.org.setting("policy_push") or {}, PolicyPushRules)
    if not settings.enabled:
        return []
    on = today(app)
    policies = {
        p.id: p
        for p in uow.policies.get_many(added).values()
        if (p.valid_to is None or p.valid_to >= on)
        and (on - p.issued_on).days <= settings.max_age_days
        and (not settings.categories or {int(c) for c in p.categories} & set(settings.categories))
    }
    if not policies:
        return []
    pushed = _pushed(uow, list(policies))
    covered = {pid: uow.policies.enterprises_covered(pid) for pid in policies}
    codes = {c for found in covered.values() for c in found}
    enterprises = uow.enterprises.get_many(codes)
    size_of = sizes(uow, sorted(codes)) if any(p.sizes for p in policies.values()) else {}
    org = organisation_of(app, uow)
    now: datetime = app.now()
    rows: list[dict[str, Any]] = []
    records = []
    for pid, policy in policies.items():
        wanted = {s.value for s in policy.sizes}
        for code in covered[pid]:
            enterprise = enterprises.get(code)
            if enterprise is None or (pid, code) in pushed:
                continue
            if wanted and size_of.get(code) not in wanted:
                continue
            values = {
                "title": policy.title,
                "doc_no": f"({policy.doc_no})" if policy.doc_no else "",
                "issuer": policy.issuer,
                "url": policy.source_url,
                "policy_id": pid,
                "enterprise": enterprise.name,
            }
            written = [
                compose_message(
                    org,
                    plan,
                    contact,
                    settings.subject,
                    settings.body,
                    values,
                    kind="policy_push",
                    channels=settings.channels,
                    cause=f"policy:{pid} policy_added",
                    now=now,
                )
                for contact in addresses.of_contacts(enterprise)
            ]
            rows += written
            records.append(
                {
                    "policy_id": pid,
                    "enterprise_code": code,
                    "pushed_at": now,
                    "recipients": len(written),
                }
            )
    if records:
        from serviceframe.store.sql import chunks

        for batch in chunks(records, 1000):
            uow.connection.execute(t.policy_pushes.insert(), batch)
    return rows


def _pushed(uow: Any, policy_ids: list[int]) -> set[tuple[int, str]]:
    p = t.policy_pushes.c
    rows = uow.connection.execute(
        select(p.policy_id, p.enterprise_code).where(p.policy_id.in_(policy_ids))
    )
    return {(r.policy_id, r.enterprise_code) for r in rows}


def pushes_of(app: Any, policy_id: int) -> list[str]:
    """The enterprises a policy was pushed to (credit codes)."""
    p = t.policy_pushes.c
    with app.uow() as uow:
        uow.authorise(Action.REPORT)
        return list(
            uow.connection.scalars(
                select(p.enterprise_code)
                .where(p.policy_id == policy_id)
                .order_by(p.enterprise_code)
            )
        )
