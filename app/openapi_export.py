"""The committed OpenAPI document: generated here, checked by tests/test_openapi.py."""

import json
from pathlib import Path
from typing import Any

from app.core.config import Settings
from app.main import create_app

SPEC_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"


def current_spec() -> dict[str, Any]:
    # An in-memory SQLite URL: building the spec must not touch a real database.
    return create_app(Settings(database_url="sqlite://")).openapi()


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write() -> Path:
    SPEC_PATH.write_text(render(current_spec()), encoding="utf-8")
    return SPEC_PATH


if __name__ == "__main__":
    print(f"wrote {write()}")
