"""The OpenAPI document lists the serving site's languages (SITE_LANGUAGES) wherever a
value is one of them, and says so, so generated clients type them for that site."""

from typing import Any

from app.core.config import Settings
from app.main import create_app
from tests.conftest import RecordingClient


def _language_enums(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        found = [value] if "x-dopys-site-languages" in value else []
        return found + [s for v in value.values() for s in _language_enums(v)]
    if isinstance(value, list):
        return [s for v in value for s in _language_enums(v)]
    return []


def test_the_served_spec_lists_the_configured_languages(database_url: str) -> None:
    settings = Settings(database_url=database_url, site_languages="uk,en,pl")
    with RecordingClient(create_app(settings)) as trilingual:
        spec = trilingual.get("/openapi.json").json()
    enums = _language_enums(spec)
    # Every list item's, hit's, article's and translation reference's `lang`, and the
    # feeds' {lang} path parameter.
    assert len(enums) >= 10
    assert {(tuple(s["enum"]), s["x-dopys-site-languages"]) for s in enums} == {
        (("uk", "en", "pl"), "SITE_LANGUAGES")
    }
    item_lang = spec["components"]["schemas"]["ArticleListItem"]["properties"]["lang"]
    assert item_lang["enum"] == ["uk", "en", "pl"]
