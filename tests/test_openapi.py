"""The committed spec is the running app's spec: regenerate with scripts/export-openapi."""

import json

from app.openapi_export import SPEC_PATH, current_spec, render


def test_committed_openapi_matches_the_app() -> None:
    committed = SPEC_PATH.read_text(encoding="utf-8")
    assert json.loads(committed) == current_spec(), "run scripts/export-openapi and commit"
    assert committed == render(current_spec())


def test_operation_ids_are_stable_and_readable() -> None:
    ids = [op["operationId"] for path in current_spec()["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert "articles-list_articles" in ids
    assert "articles-get_article" in ids
