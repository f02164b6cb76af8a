"""Word forms in every site language Snowball stems (issue 20): on a site with Polish and
German, `wojsko` finds `wojska` and back, `Haus` finds `Häuser` (the migration that
re-indexes what was stored before: tests/search/test_migration.py)."""

from app.core.config import Settings
from app.main import create_app
from tests.conftest import RecordingClient
from tests.factories import make_article

LANGUAGES = "uk,en,pl,de"


def _hits(client: RecordingClient, q: str, lang: str = "uk") -> list[str]:
    response = client.get("/v1/search", params={"q": q, "lang": lang})
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["data"]]


def test_each_site_language_finds_its_word_forms(
    database_url: str, editor_headers: dict[str, str]
) -> None:
    settings = Settings(database_url=database_url, site_languages=LANGUAGES)
    with RecordingClient(create_app(settings)) as site:
        for lang, title, body in [
            ("pl", "Wojska wkroczyły", "<p>Żołnierze polskiego wojska.</p>"),
            ("pl", "Nowe wojsko", "<p>Rząd tworzy wojsko.</p>"),
            ("de", "Die Häuser der Regierungen", "<p>Soldaten bauen Häuser.</p>"),
        ]:
            make_article(site, editor_headers, lang=lang, title=title, body=body)
        both = ["Nowe wojsko", "Wojska wkroczyły"]
        for q in ("wojsko", "wojska", "WOJSKAMI", "wojsku"):
            assert sorted(_hits(site, q)) == both, q
        for q in ("Haus", "hauses", "Regierung", "Soldat"):
            assert _hits(site, q) == ["Die Häuser der Regierungen"], q
        hit = site.get("/v1/search", params={"q": "wojsku", "fields": "title,snippet"})
        snippets = {item["title"]: item["snippet"] for item in hit.json()["data"]}
        assert "<mark>wojska</mark>" in snippets["Wojska wkroczyły"]
        assert site.server_errors == []
