"""Search over real bilingual news (../shared/data/ntrex-en-uk.jsonl: 123 articles in
English with Ukrainian translations, imported with bulk SQL), checked against a plain
Python reading of the rules: every query word starts a word of one translation; title
matches first, then excerpt matches, then body-only ones."""

import html
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from app.models import Article, ArticleTranslation
from app.search import repository
from app.search.repository import SAFE_WORD
from app.search.service import search_words
from tests.conftest import RecordingClient
from tests.factories import bulk_import, news_rows

QUERIES = [
    "поліція",
    "Землетрусу",
    "шотландії",
    "президента",
    "Brexit",
    "earthquake",
    "arrested",
    "women",
    "міністр закордонних справ",
    "north korea",
]


def _seed(sessions: sessionmaker[Session], data_dir: Path) -> dict[str, list[dict[str, str]]]:
    """Every article in both languages, imported in bulk (plain SQL). Returns the stored
    fields of each translation as plain text, by article id."""
    articles, translations = news_rows(data_dir)
    with bulk_import(sessions) as session:
        session.execute(insert(Article.__table__), articles)
        session.execute(insert(ArticleTranslation.__table__), translations)
    stored: dict[str, list[dict[str, str]]] = {}
    for row in translations:
        body = html.unescape(re.sub(r"<[^>]+>", " ", row["body"]))
        fields = {"title": row["title"], "excerpt": row["excerpt"], "body": body}
        stored.setdefault(str(row["article_id"]), []).append(fields)
    return stored


def _starts(words: list[str], text: str) -> set[str]:
    """Which of `words` start a word of `text`."""
    tokens = SAFE_WORD.findall(text.replace("ʼ", " ").lower())
    return {w for w in words if any(token.startswith(w) for token in tokens)}


def _expected_tiers(stored: dict[str, list[dict[str, str]]], q: str) -> dict[str, int]:
    words = search_words(q)
    tiers: dict[str, int] = {}
    for article_id, translations in stored.items():
        for fields in translations:
            if _starts(words, " ".join(fields.values())) != set(words):
                continue
            tier = (
                2
                if _starts(words, fields["title"])
                else 1
                if _starts(words, fields["excerpt"])
                else 0
            )
            tiers[article_id] = max(tier, tiers.get(article_id, 0))
    return tiers


def _all_hits(client: RecordingClient, q: str) -> list[dict[str, Any]]:
    response = client.get("/v1/search", params={"q": q, "limit": 100})
    assert response.status_code == 200, response.text
    assert response.json()["meta"]["next_cursor"] is None
    return list(response.json()["data"])


# Each tier is read by walking the feed (many matches) or from the index (few): force
# either plan, whatever the counts on this small data set, and expect the same answers.
PLANS = {
    "as counted": {},
    "walk": {"_SQLITE_FEW": 1, "_PG_FEW": 0},
    "list": {"_SQLITE_FEW": 10**9, "_PG_FEW": 10**9},
}


def _paged_ids(client: RecordingClient, q: str, limit: int) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        params = {"q": q, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/search", params=params)
        assert response.status_code == 200, response.text
        ids += [hit["id"] for hit in response.json()["data"]]
        cursor = response.json()["meta"]["next_cursor"]
        if cursor is None:
            return ids


@pytest.mark.parametrize("plan", PLANS)
def test_real_news_is_found_exactly_and_ranked_by_where_it_matched(
    client: RecordingClient,
    sessions: sessionmaker[Session],
    shared_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    plan: str,
) -> None:
    for name, value in PLANS[plan].items():
        monkeypatch.setattr(repository, name, value)
    stored = _seed(sessions, shared_data_dir)
    assert len(stored) == 123

    seen_tiers: set[int] = set()
    for q in QUERIES:
        expected = _expected_tiers(stored, q)
        hits = _all_hits(client, q)
        assert {hit["id"] for hit in hits} == set(expected), q
        assert len(hits) == len(expected), q
        assert [int(hit["rank"]) for hit in hits] == [expected[hit["id"]] for hit in hits], q
        tiers = [expected[hit["id"]] for hit in hits]
        assert tiers == sorted(tiers, reverse=True), q
        # Small pages cross tier boundaries mid-page: the same hits, once each, in order.
        assert _paged_ids(client, q, 3) == [hit["id"] for hit in hits], q
        seen_tiers |= set(tiers)
    assert seen_tiers == {0, 1, 2}  # the queries exercise every kind of match
