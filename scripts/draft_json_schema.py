"""Draft the JSON Schema of a command's ``--json`` output from real output, to edit by hand.

    serviceframe --db demo.db issue show 1 --json | python scripts/draft_json_schema.py "issue show"

writes docs/json/issue-show.schema.json (never over an existing one without ``--force``): every
object closed (``additionalProperties: false``), keys present in every sample required, times
required to carry Beijing time, and descriptions taken from the glossary below for the field
names it knows. Read the draft, describe what it could not (empty lists, fields only ever
null in the sample, maps keyed by data), then run ``python scripts/gen_docs.py`` to regenerate
docs/json.md. tests/test_json_shapes.py checks the schema against the command's real output.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "docs" / "json"
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+08:00$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TYPES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    type(None): "null",
    dict: "object",
    list: "array",
}

# Field names used across commands, and what they hold.
GLOSSARY = {
    "id": "the record's number (id)",
    "credit_code": "统一社会信用代码 (unified social credit code, 18 characters, GB 32100-2015)",
    "enterprise": "the enterprise's 统一社会信用代码",
    "enterprises": "统一社会信用代码 of the enterprises",
    "name": "name (Chinese)",
    "title": "title (Chinese)",
    "body": "text (Chinese)",
    "jurisdiction": "GB/T 2260 code of the jurisdiction (行政区划代码)",
    "jurisdiction_name": "name of the jurisdiction",
    "level": "GB/T 2260 code of the level (jurisdiction) concerned",
    "status": "state (an English key; `status_label` or the text output gives the Chinese)",
    "status_label": "the state in Chinese",
    "category": "service category 1–9 (九类服务内容); 0 until the office classifies it",
    "category_label": "the service category's Chinese name",
    "severity": "general (一般), major (重大) or policy (政策性)",
    "source": "the channel the issue came from (hotline, portal, self_declared… or a plugin's)",
    "unit": "id of the unit (单位)",
    "units": "ids of the units",
    "official": "id of the official (领导、干部)",
    "officials": "ids of the officials",
    "lead_unit": "id of the lead unit (主办单位)",
    "co_units": "ids of the co-operating units (协办单位)",
    "owner": "id of the unit or official who owns the issue now (首问责任)",
    "received_by": "id of the unit or official who first received it (首问)",
    "received_at": "when it was received (Beijing time, +08:00)",
    "created_at": "when it was written (Beijing time, +08:00)",
    "updated_at": "when it last changed (Beijing time, +08:00)",
    "resolved_at": "when it was resolved (Beijing time, +08:00)",
    "closed_at": "when it was closed (Beijing time, +08:00)",
    "rated_at": "when the enterprise rated it (Beijing time, +08:00)",
    "dispatched_at": "when it was handed to the units (交办, Beijing time, +08:00)",
    "acknowledged_at": "when the lead unit acknowledged it (签收, Beijing time, +08:00)",
    "satisfaction": "the enterprise's rating: satisfied (满意), basic (基本满意), unsatisfied (不满意)",
    "period": "the period: 2026, 2026-Q4, 2026-11 or 2026-W46",
    "round": "the round of handling (1, then 2… after an unsatisfied rating)",
    "actor": "who did it (--actor, SERVICEFRAME_ACTOR)",
    "kind": "the kind (an English key)",
    "label": "Chinese label",
    "note": "a note (Chinese)",
    "reason": "why (Chinese)",
    "count": "how many",
    "total": "how many in all",
    "plugin": "the plugin that provides it (module or entry-point name)",
    "channel": "the channel's name ([[channels]] in the organisation file)",
    "due": "the deadline (a Beijing date)",
    "date": "the day (a Beijing date)",
    "issue_id": "the issue's number",
    "cluster_id": "the cluster's number",
    "meeting_id": "the executive meeting's number, null until scheduled",
    "deadlines": "the issue's deadlines (working days, Beijing dates)",
    "rung": "the rung of the escalation ladder: deputy (分管副职), executive_deputy (常务副职), head (正职)",
    "problem": "what is wrong, empty when nothing is",
    "provisional": "true when the deadline was computed on Mon–Fri because the year has no holiday data yet",
    "acknowledge": "the acknowledge (签收) deadline, or its counts",
    "feedback": "the first-feedback (首次反馈) deadline, or its counts",
    "resolve": "the resolve (办结) deadline, or its counts",
    "redo": "the redo (重办) deadline, or its counts",
    "overdue": "how many are past their deadline (逾期)",
    "met": "deadlines met (按期)",
    "missed": "deadlines missed (逾期)",
    "pending": "deadlines not yet due",
    "on_time_rate": "met / (met + missed), 0–1; null when none is due yet",
    "resolution": "how the issue was resolved (办结说明)",
    "origin": "where the issue was filed from within the channel (e.g. a visit's id), null when not",
    "first_feedback_at": "when the lead unit first reported progress (Beijing time, +08:00)",
    "redo_count": "how many times it was sent back as unsatisfactory (退回重办)",
    "external_id": "the channel's own id of the message or call (工单号); filing it again gives the same issue",
    "suggested_category": "the classifier's category (0 when it found none)",
    "reject_reason": "why the office rejected it (不予受理)",
    "merged_into": "the issue it was merged into, as a duplicate",
    "duplicates": "how many issues were merged into this one",
    "possible_duplicates": "issues found to be near-duplicates when it was filed",
    "version": "the row's version, raised by each change",
    "satisfied": "ratings 满意",
    "basic": "ratings 基本满意",
    "unsatisfied": "ratings 不满意",
    "rated": "how many ratings",
    "key": "a stable key (a notification's delivery key)",
    "phone": "telephone number",
    "email": "e-mail address",
    "address": "the address it goes to (e-mail, phone, or * for a channel that reaches anyone)",
    "addresses": "address kind → address",
    "categories": "service categories 1–9",
    "valid_from": "first day it holds (a Beijing date)",
    "valid_to": "last day it holds, null while it does",
    "text": "text (Chinese)",
    "resolved": "how many were resolved (办结)",
    "start": "first day of the period",
    "end": "last day of the period",
    "supervision": "supervision orders (督办单)",
    "issue": "the issue's number",
    "topic": "the topic `<category>:<concept>` (docs/topics.md)",
    "handled": "issues handled as lead unit (主办)",
    "subject": "the notification's subject",
    "outcome": "sent, retry or failed",
    "reply_due": "when the supervision order must be answered (a Beijing date)",
    "enterprise_code": "the enterprise's 统一社会信用代码",
    "enterprise_name": "the enterprise's name",
    "state": "the state (an English key)",
    "state_label": "the state in Chinese",
    "ratings": "ratings as lead unit",
    "decision": "what the meeting decided",
    "industry": "industry code (GB/T 4754, e.g. C3422)",
    "key_level": "key-enterprise level: province, city, county or none",
    "message_id": "the inbound message's id",
    "issuer": "the issuing authority (发文机关)",
    "issued_on": "the day it was issued",
    "industries": "industry codes it applies to (empty: all)",
    "sizes": "enterprise sizes it applies to (empty: all)",
    "doc_no": "document number (文号)",
    "validity": "whether it is in force (现行有效, 已失效…)",
    "attempts": "delivery attempts",
    "deadline": "which deadline: acknowledge, feedback, resolve, redo, follow_up or listed",
    "overdue_unit": "id of the unit that missed the deadline",
    "overdue_official": "id of that unit's head",
    "from_level": "GB/T 2260 code of the level the issue was at",
    "from_rung": "the rung it was at",
    "from_official": "id of the leader it was with",
    "to_level": "GB/T 2260 code of the level it went to",
    "to_rung": "the rung it went to",
    "to_official": "id of the leader it went to",
    "events": "the history: one entry per change, oldest first",
    "rank": "rank (equal results share a rank: 1, 2, 2, 4)",
    "score": "the result, 0–1; null without ratings",
    "co_ratings": "ratings of issues co-handled (协办)",
    "unrated": "resolved issues not rated yet (as lead)",
    "unrated_co": "co-handled issues not rated yet",
    "handled_co": "issues co-handled (协办)",
    "response_rate": "rated / resolved, 0–1",
    "active": "false when the person has left office",
    "outbox_id": "the notification's number",
    "detail": "what happened (an error or a receipt)",
    "as_of": "the moment the figures are taken at (Beijing time, +08:00)",
    "received": "how many were received (受理)",
    "on_time": "how many were resolved on time",
    "escalated": "how many were taken up the ladder (提级)",
    "supervised": "supervision orders issued (督办)",
    "listed_at": "when it was listed as long-overdue (挂牌督办)",
    "days_open": "days since it was received",
    "long_overdue": "issues listed as long-overdue (挂牌督办)",
    "inserted": "rows added",
    "updated": "rows changed",
    "unchanged": "rows already stored as they are",
    "errors": "rows refused: line, column, value and reason",
    "decided_at": "when it was decided (Beijing time, +08:00)",
    "decided_by": "who recorded the decision",
    "queued_at": "when it was put on the agenda (Beijing time, +08:00)",
    "role": "head, executive_deputy, deputy, department_head, department_leader, office_staff…",
    "portfolio": "what the official is in charge of (分管): categories and departments",
    "departments": "ids of departments",
    "recipient_kind": "official, contact (an enterprise's) or unit",
    "recipient_id": "id of the recipient",
    "recipient_name": "the recipient's name",
    "next_attempt_at": "when it is due (again) (Beijing time, +08:00)",
    "last_error": "the last failure, empty when none",
    "sender": "who sent it (address)",
    "skipped": "rungs skipped because nobody holds them, and why",
    "informed": "jurisdictions told that the issue was handed up",
}


def describe(schema: dict[str, Any], name: str = "") -> None:
    """Give each field the glossary's description of its name, where it has none."""
    if name in GLOSSARY and "description" not in schema:
        schema["description"] = GLOSSARY[name]
    for key, inner in (schema.get("properties") or {}).items():
        describe(inner, key)
    if isinstance(schema.get("items"), dict):
        describe(schema["items"], "")


def infer(samples: list[Any], name: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {}
    if name in GLOSSARY:
        schema["description"] = GLOSSARY[name]
    kinds = {TYPES[type(s)] for s in samples}
    if kinds == {"null"}:
        schema["description"] = (schema.get("description", "") + " (null in the sample)").strip()
        return schema
    if "integer" in kinds and "number" in kinds:
        kinds.discard("integer")
    if len(kinds) == 1:
        schema["type"] = next(iter(kinds))
    elif kinds - {"null"} <= {"object"} or kinds - {"null"} <= {"array"}:
        schema["type"] = sorted(kinds)
    else:
        schema["type"] = sorted(kinds)
    objects = [s for s in samples if isinstance(s, dict)]
    arrays = [s for s in samples if isinstance(s, list)]
    strings = [s for s in samples if isinstance(s, str)]
    if objects:
        keys = list(dict.fromkeys(k for o in objects for k in o))
        schema["properties"] = {k: infer([o[k] for o in objects if k in o], k) for k in keys}
        schema["required"] = [k for k in keys if all(k in o for o in objects)]
        schema["additionalProperties"] = False
    if arrays:
        items = [x for a in arrays for x in a]
        schema["items"] = infer(items, name) if items else {}
        if not items:
            schema["description"] = (
                schema.get("description", "") + " (empty in the sample)"
            ).strip()
    if strings and all(DATETIME.match(s) for s in strings):
        schema["format"], schema["pattern"] = "date-time", r"\+08:00$"
    elif strings and all(DATE.match(s) for s in strings):
        schema["format"] = "date"
    return schema


def draft(command: str, samples: list[Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"serviceframe {command} --json",
        "description": "TODO: what the output holds.",
        **infer(samples),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", help='the command path, e.g. "issue show"')
    parser.add_argument("--force", action="store_true", help="overwrite an existing schema")
    args = parser.parse_args()
    path = SCHEMAS / f"{args.command.replace(' ', '-')}.schema.json"
    if path.exists() and not args.force:
        print(f"{path} exists; --force to overwrite it", file=sys.stderr)
        return 1
    text = json.dumps(draft(args.command, [json.load(sys.stdin)]), ensure_ascii=False, indent=2)
    path.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}: describe it, then run python scripts/gen_docs.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
