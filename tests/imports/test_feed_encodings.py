"""A feed's encoding: as declared (XML declaration, the upload's charset), else UTF-8, else
the likeliest Western or Cyrillic code page, and the report says it guessed."""

from pathlib import Path

from app.core.config import Settings
from tests.conftest import RecordingClient
from tests.imports.helpers import counts, exported_articles

FIXTURES = Path(__file__).parent / "fixtures"
LATIN1 = FIXTURES / "noticias-latin1-undeclared.rss"
TITLES = [
    "Governo anuncia novas medidas para a habitação",
    "Câmara de Lisboa aprova orçamento para 2019",
    "Incêndio na serra obriga à evacuação de aldeias",
    "Seleção nacional convocada para o jogo de sábado",
    "Preço dos combustíveis volta a subir na próxima semana",
]


def _titles(client: RecordingClient, headers: dict[str, str]) -> list[str]:
    lines = exported_articles(client.get("/v1/exports", headers=headers).text)
    return [
        line["translations"][0]["title"] for line in sorted(lines, key=lambda x: x["external_id"])
    ]


def test_an_undeclared_latin_1_feed_is_read_as_western_and_the_guess_is_reported(
    client: RecordingClient, editor_headers: dict[str, str], settings: Settings
) -> None:
    settings.site_languages = ["uk", "en", "pt"]
    raw = LATIN1.read_bytes()
    assert b"encoding=" not in raw and "ç".encode("latin-1") in raw

    response = client.post(
        "/v1/imports",
        content=raw,
        headers={**editor_headers, "Content-Type": "application/rss+xml"},
        params={"format": "rss"},
    )

    assert response.status_code == 200, response.text
    report = response.json()
    assert counts(report) == (5, 0, 0, 0)
    assert report["remarks"] == [
        "The file declares no encoding and is not UTF-8: read as cp1252, the likeliest "
        "(declare it in the XML declaration, or send charset= with the upload, to be sure)."
    ]
    assert _titles(client, editor_headers) == TITLES


def test_the_uploads_charset_is_the_declared_encoding(
    client: RecordingClient, editor_headers: dict[str, str], settings: Settings
) -> None:
    settings.site_languages = ["uk", "en", "pt"]
    response = client.post(
        "/v1/imports",
        content=LATIN1.read_bytes(),
        headers={**editor_headers, "Content-Type": "application/rss+xml; charset=ISO-8859-1"},
        params={"format": "rss"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["remarks"] == []
    assert _titles(client, editor_headers) == TITLES
