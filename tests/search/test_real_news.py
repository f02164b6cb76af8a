"""Search over real bilingual news (../shared/data/ntrex-en-uk.jsonl: 123 articles in
English with Ukrainian translations, imported with bulk SQL), checked against a plain
Python reading of the rules: every query word shares a term with a word of one
translation (analysed in that translation's language), every phrase and prefix occurs in
its raw words; title matches first, then excerpt matches, then body-only ones."""

import html
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from app.models import Article, ArticleTranslation
from app.search import analysis, repository
from app.search.query import Query, parse, raw_tokens
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
    '"north korea"',
    "прав*",
    'уряд "прем\'єр-міністр"',
    "countries econom*",
]


def _seed(
    sessions: sessionmaker[Session], data_dir: Path
) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """Every article in both languages, imported in bulk (plain SQL). Returns each
    translation's language and fields as plain text, by article id."""
    articles, translations = news_rows(data_dir)
    with bulk_import(sessions) as session:
        session.execute(insert(Article.__table__), articles)
        session.execute(insert(ArticleTranslation.__table__), translations)
    stored: dict[str, list[tuple[str, dict[str, str]]]] = {}
    for row in translations:
        body = html.unescape(re.sub(r"<[^>]+>", " ", row["body"]))
        fields = {"title": row["title"], "excerpt": row["excerpt"], "body": body}
        stored.setdefault(str(row["article_id"]), []).append((row["lang"], fields))
    return stored


def _found(query: Query, lang: str, text: str) -> set[int]:
    """Which items of `query` (numbered words first, then phrases and prefixes) occur in
    `text`, a field of a translation in `lang`."""
    terms = {term for word in analysis.words(text) for term in analysis.analyser(lang)(word)}
    found = {i for i, alternatives in enumerate(query.words) if terms & set(alternatives)}
    tokens = [token.lower() for token in raw_tokens(text)]
    for offset, item in enumerate(query.raw_items):
        wanted, prefix, n = item.tokens, item.prefix, len(item.tokens)
        for i in range(len(tokens) - n + 1):
            window = tokens[i : i + n]
            if window[:-1] == list(wanted[:-1]) and (
                window[-1].startswith(wanted[-1]) if prefix else window[-1] == wanted[-1]
            ):
                found.add(len(query.words) + offset)
    return found


def _expected_tiers(stored: dict[str, list[tuple[str, dict[str, str]]]], q: str) -> dict[str, int]:
    query = parse(q)
    every = set(range(len(query.words) + len(query.raw_items)))
    tiers: dict[str, int] = {}
    for article_id, translations in stored.items():
        for lang, fields in translations:
            if _found(query, lang, " \n ".join(fields.values())) != every:
                continue
            tier = (
                2
                if _found(query, lang, fields["title"])
                else 1
                if _found(query, lang, fields["excerpt"])
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
        assert expected, q  # every query finds something
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
