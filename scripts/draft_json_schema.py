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
    "category": "service category 1–9 (九类服务内容), null until the office sets it",
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
}


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
