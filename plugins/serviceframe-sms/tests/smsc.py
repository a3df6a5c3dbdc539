"""Start and read the test SMSC (smpp_server.py) from tests and the benchmark."""

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def text_of(records: list[dict]) -> list[dict]:
    """The messages the SMSC got, joined from their parts (UDH reference) and decoded."""
    joined: list[dict] = []
    pending: dict[tuple[str, int], dict[int, bytes]] = {}
    for r in records:
        data = bytes.fromhex(r["hex"])
        if r["esm_class"] & 0x40:
            header, data = data[1 : 1 + data[0]], data[1 + data[0] :]
            ref, count, number = header[2], header[3], header[4]
            parts = pending.setdefault((r["to"], ref), {})
            parts[number] = data
            if len(parts) < count:
                continue
            data = b"".join(parts[n] for n in sorted(parts))
            del pending[(r["to"], ref)]
            r = {**r, "parts": count}
        text = data.decode("utf-16-be") if r["data_coding"] == 8 else data.decode("ascii")
        joined.append({**r, "text": text, "parts": r.get("parts", 1)})
    return joined


class Smsc:
    def __init__(self, folder: Path, password: str = "secret") -> None:
        self.folder = folder
        self.password = password
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> "Smsc":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "smpp_server.py"), str(self.folder), self.password]
        )
        deadline = time.monotonic() + 20
        while not (self.folder / "port").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the SMPP server did not start")
            time.sleep(0.02)
        self.port = int((self.folder / "port").read_text())
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)

    def records(self) -> list[dict]:
        path = self.folder / "submitted.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line]

    def messages(self) -> list[dict]:
        return text_of(self.records())

    def reply(self, sender: str, text: str, ref: int | None = None) -> None:
        """A reply (MO) the SMSC delivers at the next bind as a transceiver; ``ref`` is the
        handset's message reference (TP-MR)."""
        data = {"from": sender, "text": text, **({"ref": ref} if ref is not None else {})}
        (self.folder / "mo" / f"{time.time_ns()}.json").write_text(
            json.dumps(data, ensure_ascii=False), encoding="utf-8"
        )

    def reply_raw(self, sender: str, data: bytes, data_coding: int) -> None:
        (self.folder / "mo" / f"{time.time_ns()}.json").write_text(
            json.dumps({"from": sender, "hex": data.hex(), "data_coding": data_coding})
        )
