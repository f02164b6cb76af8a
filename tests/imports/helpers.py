"""Import lines and requests, shared by the import tests."""

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient

NDJSON = {"Content-Type": "application/x-ndjson"}


def article_line(n: int, **overrides: Any) -> dict[str, Any]:
    """A valid published bilingual line; `n` makes it unique."""
    line: dict[str, Any] = {
        "external_id": f"wire-{n}",
        "original_lang": "uk",
        "status": "published",
        "published_at": f"2024-07-01T10:{n % 60:02d}:00Z",
        "tags": [{"slug": "news", "names": {"uk": "Новини", "en": "News"}}],
        "citations": [],
        "translations": [
            {"lang": "uk", "title": f"Новина номер {n}", "body": f"<p>Текст {n}.</p>"},
            {"lang": "en", "title": f"News number {n}", "body": f"<p>Text {n}.</p>"},
        ],
    }
    line.update(overrides)
    return line


def ndjson(lines: Iterable[dict[str, Any] | str | bytes]) -> bytes:
    """Lines as NDJSON; a str or bytes item is written as it is (for broken lines)."""
    out = bytearray()
    for line in lines:
        if isinstance(line, bytes):
            out += line
        elif isinstance(line, str):
            out += line.encode()
        else:
            out += orjson.dumps(line)
        out += b"\n"
    return bytes(out)


def post_import(
    client: TestClient, headers: dict[str, str], body: bytes | Iterator[bytes], **params: Any
) -> dict[str, Any]:
    response = client.post(
        "/v1/imports", content=body, headers={**headers, **NDJSON}, params=params
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def counts(report: dict[str, Any]) -> tuple[int, int, int, int]:
    return report["created"], report["updated"], report["unchanged"], report["failed"]


def ntrex_lines(data_dir: Path, count: int) -> Iterator[dict[str, Any]]:
    """`count` bilingual lines made from the real NTREX news (cycled, numbered apart)."""
    docs = [json.loads(x) for x in (data_dir / "ntrex-en-uk.jsonl").read_text().splitlines()]
    for n in range(count):
        doc = docs[n % len(docs)]
        body_en = "".join(f"<p>{p}</p>" for p in doc["en"]["body"].split("\n"))
        body_uk = "".join(f"<p>{p}</p>" for p in doc["uk"]["body"].split("\n"))
        yield {
            "external_id": f"ntrex-{doc['doc_id']}-{n}",
            "original_lang": "en",
            "status": "published",
            "published_at": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
            "tags": [doc["outlet"]],
            "translations": [
                {"lang": "en", "title": f"{doc['en']['title']} ({n})", "body": body_en},
                {"lang": "uk", "title": f"{doc['uk']['title']} ({n})", "body": body_uk},
            ],
        }


def import_file(
    client: TestClient, headers: dict[str, str], path: Path, fmt: str, **params: Any
) -> dict[str, Any]:
    """POST another system's export (`format=`) and return the report."""
    response = client.post(
        "/v1/imports",
        content=path.read_bytes(),
        headers={**headers, "Content-Type": "application/xml"},
        params={"format": fmt, **params},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def exported_articles(text: str) -> list[dict[str, Any]]:
    """The article lines of an export (its header and trailer left out)."""
    lines = [json.loads(line) for line in text.splitlines()]
    return [line for line in lines if "export" not in line]
