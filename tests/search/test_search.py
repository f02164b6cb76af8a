"""GET /v1/search: matching, ranking, visibility, filters, pagination, hostile input."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import RecordingClient
from tests.factories import hours_ago, make_article, make_source, make_tag


def search(client: RecordingClient, q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return dict(response.json())


def search_ids(client: RecordingClient, q: str, **params: Any) -> list[str]:
    return [item["id"] for item in search(client, q, **params)["data"]]


def written(
    client: RecordingClient,
    headers: dict[str, str],
    title: str,
    body: str,
    excerpt: str = "Коротко.",
    **extra: Any,
) -> dict[str, Any]:
    """A Ukrainian article with its own excerpt (else the excerpt repeats the body's start)."""
    translation = {"lang": "uk", "title": title, "excerpt": excerpt, "body": body}
    return make_article(client, headers, translations=[translation], **extra)


def test_finds_a_ukrainian_article_by_a_body_word_in_another_case(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "news", uk="Новини", en="News")
    found = written(
        client,
        editor_headers,
        "Зведення з фронту",
        "<p>Сили оборони відбили ЧОТИРНАДЦЯТЬ атак біля Покровська.</p>",
        tags=["news"],
    )
    make_article(client, editor_headers, title="Погода", body="<p>Завтра дощ у Львові.</p>")

    body = search(client, "чотирнадцять")

    assert [item["id"] for item in body["data"]] == [found["id"]]
    assert body["meta"] == {"next_cursor": None, "limit": 20}
    item = body["data"][0]
    # A feed item plus its rank (a body-only match has tier 0) and snippet.
    assert set(item) == {
        "id", "lang", "slug", "title", "excerpt", "published_at", "updated_at",
        "primary_tag", "tags", "sources", "translations", "cover_image", "visibility",
        "authors", "featured", "rank", "snippet",
    }  # fmt: skip
    assert item["title"] == "Зведення з фронту"
    assert item["primary_tag"] == {"slug": "news", "name": "Новини", "kind": "topic"}
    assert item["rank"] == 0
    assert item["snippet"] == "Сили оборони відбили <mark>ЧОТИРНАДЦЯТЬ</mark> атак біля Покровська."
    for q in ("ПОКРОВСЬКА", "Покровська", "сили ОБОРОНИ"):
        assert search_ids(client, q) == [found["id"]], q


def test_a_title_match_ranks_above_excerpt_and_body_matches(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    # The body-only article says the word most often and is the newest: it still ranks last.
    body_only = written(
        client,
        editor_headers,
        "Новини дня",
        "<p>Дрони, дрони і ще раз дрони: дрони над містом.</p>",
        published_at=hours_ago(1),
    )
    in_title = written(
        client,
        editor_headers,
        "Дрони атакували енергетику",
        "<p>" + "Довгий текст про інше. " * 200 + "</p>",
        published_at=hours_ago(5),
    )
    in_excerpt = written(
        client,
        editor_headers,
        "Ніч у Києві",
        "<p>Тривога тривала три години.</p>",
        excerpt="Над містом збили дрони.",
        published_at=hours_ago(2),
    )

    hits = search(client, "дрони")["data"]

    assert [hit["id"] for hit in hits] == [in_title["id"], in_excerpt["id"], body_only["id"]]
    assert [int(hit["rank"]) for hit in hits] == [2, 1, 0]


def test_every_word_must_match_and_words_match_word_starts(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    both = make_article(
        client, editor_headers, title="Енергетика", body="<p>Удар по ТЕЦ у Харкові.</p>"
    )
    make_article(client, editor_headers, title="Харків", body="<p>Вечір у місті.</p>")
    make_article(client, editor_headers, title="Погода", body="<p>Незабаром тепло.</p>")

    assert search_ids(client, "харків тец") == [both["id"]]
    # A word matches the start of a word, never its middle.
    assert search_ids(client, "абаром") == []


def test_inflected_ukrainian_words_and_apostrophes_match_their_other_forms(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    rockets = make_article(
        client, editor_headers, title="Обстріл", body="<p>Ворог випустив дві ракети.</p>"
    )
    # Three apostrophes in use: ' (U+0027), ’ (U+2019) and ʼ (U+02BC).
    ascii_ = make_article(client, editor_headers, title="Об'єкт А", body="<p>Текст.</p>")
    right = make_article(client, editor_headers, title="Об’єкт Б", body="<p>Текст.</p>")
    modifier = make_article(client, editor_headers, title="Обʼєкт В", body="<p>Текст.</p>")
    english = make_article(
        client,
        editor_headers,
        lang="en",
        title="Air defence",
        body="<p>Two missiles were shot down.</p>",
    )

    assert search_ids(client, "ракетами") == [rockets["id"]]
    assert search_ids(client, "РАКЕТА") == [rockets["id"]]
    for q in ("об'єкт", "об’єкт", "обʼєкт", "ОБʼЄКТ"):
        assert set(search_ids(client, q)) == {ascii_["id"], right["id"], modifier["id"]}, q
    assert search_ids(client, "missile") == [english["id"]]
    assert search_ids(client, "MISSILES shot") == [english["id"]]


def test_drafts_scheduled_and_archived_articles_are_never_found(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "news")
    make_source(client, editor_headers, "isw")
    common = {"tags": ["news"], "citations": [{"source": "isw"}], "body": "<p>Таємниця.</p>"}
    public = make_article(client, editor_headers, title="Таємниця відкрита", **common)
    make_article(client, editor_headers, title="Таємниця чернетки", status="draft", **common)
    make_article(
        client,
        editor_headers,
        title="Таємниця архіву",
        status="archived",
        published_at=hours_ago(3),
        **common,
    )
    make_article(
        client,
        editor_headers,
        title="Таємниця завтрашня",
        published_at=datetime.now(UTC) + timedelta(days=1),
        **common,
    )

    for params in ({}, {"tag": "news"}, {"source": "isw"}, {"only_translated": "true"}):
        assert search_ids(client, "таємниця", **params) == [public["id"]], params
    for q in ("чернетки", "архіву", "завтрашня"):
        assert search_ids(client, q) == [], q


def test_an_article_matching_in_two_languages_comes_once_in_the_readers_language(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    bilingual = make_article(
        client,
        editor_headers,
        translations=[
            {"lang": "uk", "title": "Звіт ISW", "body": "<p>Аналітики ISW пишуть.</p>"},
            {"lang": "en", "title": "ISW report", "body": "<p>ISW analysts write.</p>"},
        ],
    )
    only_uk = make_article(
        client, editor_headers, title="Ще про ISW", body="<p>Текст.</p>", published_at=hours_ago(3)
    )

    english = search(client, "isw", lang="en")["data"]
    assert [(hit["id"], hit["lang"], hit["title"]) for hit in english] == [
        (bilingual["id"], "en", "ISW report"),
        (only_uk["id"], "uk", "Ще про ISW"),  # untranslated: given in its original
    ]
    # The reader's language decides how an item reads, not whether a word in another
    # translation finds it.
    assert search_ids(client, "аналітики", lang="en") == [bilingual["id"]]
    assert search_ids(client, "isw", lang="en", only_translated="true") == [bilingual["id"]]


def test_filters_by_tag_and_source(client: RecordingClient, editor_headers: dict[str, str]) -> None:
    make_tag(client, editor_headers, "news")
    make_tag(client, editor_headers, "sport")
    make_source(client, editor_headers, "isw")
    news = make_article(client, editor_headers, title="Перемога", tags=["news"])
    sport = make_article(
        client, editor_headers, title="Перемога збірної", tags=["sport"], published_at=hours_ago(2)
    )
    cited = make_article(
        client,
        editor_headers,
        title="Перемога під Херсоном",
        citations=[{"source": "isw"}],
        published_at=hours_ago(3),
    )

    assert search_ids(client, "перемога") == [news["id"], sport["id"], cited["id"]]
    assert search_ids(client, "перемога", tag="news") == [news["id"]]
    assert search_ids(client, "перемога", tag="sport") == [sport["id"]]
    assert search_ids(client, "перемога", source="isw") == [cited["id"]]
    missing = client.get("/v1/search", params={"q": "перемога", "source": "no-such"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No source has the slug 'no-such'."


def test_pages_walk_every_hit_once_in_rank_order(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    same_moment = hours_ago(2)
    for i in range(3):  # equal rank and published_at: the id breaks the tie
        make_article(client, editor_headers, title=f"Сирена {i}", published_at=same_moment)
    for i in range(3):
        written(
            client, editor_headers, f"Ніч {i}", "<p>Лунала сирена.</p>", published_at=hours_ago(i)
        )
    written(client, editor_headers, "Тиша", "<p>Без сирен.</p>")
    everything = search_ids(client, "сирена", limit=100)
    assert len(everything) == 7

    walked: list[str] = []
    cursor = None
    while True:
        response = client.get(
            "/v1/search",
            params={"q": "сирена", "limit": 2, **({"cursor": cursor} if cursor else {})},
        )
        assert response.status_code == 200
        walked += [item["id"] for item in response.json()["data"]]
        cursor = response.json()["meta"]["next_cursor"]
        if cursor is None:
            assert "link" not in response.headers
            break
        assert response.headers["link"].endswith(f'cursor={cursor}>; rel="next"')

    assert walked == everything
    ranks = [hit["rank"] for hit in search(client, "сирена", limit=100)["data"]]
    assert ranks == sorted(ranks, reverse=True)


def test_a_cursor_works_only_for_the_query_and_filters_it_came_from(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "news")
    for _ in range(3):
        make_article(client, editor_headers, title="Допис про мир", tags=["news"])
    cursor = search(client, "мир", limit=1)["meta"]["next_cursor"]
    assert cursor is not None
    assert (
        client.get("/v1/search", params={"q": "МИР", "limit": 1, "cursor": cursor}).status_code
        == 200
    )
    for params in (
        {"q": "допис"},
        {"q": "мир", "tag": "news"},
        {"q": "мир", "cursor": "garbage"},
    ):
        response = client.get("/v1/search", params={"cursor": cursor, **params})
        assert response.status_code == 400, params
        assert response.headers["content-type"] == "application/problem+json"


HOSTILE_WITHOUT_WORDS = [
    "",
    "   ",
    '"',
    "*",
    ":",
    "&",
    "|",
    "!",
    "'",
    "\x00",
    "Київ\x00",  # NUL is refused in any parameter (app.core.guards), words or not
    "\\",
    "()",
    "-",
    "^",
    ":*",
    "&&||!!",
    "'':*",
    '""*',
    "%",
    "_",
    "\u200b",
]
HOSTILE_WITH_WORDS = [
    'Київ"',
    '"Київ',
    "Київ*",
    "Київ:*",
    "Київ & OR",
    "Київ | !",
    "Київ:A",
    "NEAR(Київ)",
    "Київ AND NOT OR NEAR",
    "київ' OR '1'='1",
    "київ'); DROP TABLE articles; --",
    "{київ}",
    "київ^2",
    "київ\\",
    "київ<->мир",
    "column:київ",
    "title : київ",
    "київ_мир",
    "Київ\u200bмир",
    "київ ²",
    "київ ①",
    "київ ٣",
    "київ ǅ",
    "київ 𝔘",
    "київ ﬁ",
    "київ 한국",
    "київ 🙂",
    "київ ̈",
    "ǅ",
    "²",
    "Ⅻ",
]


def test_hostile_queries_are_4xx_or_results_never_500(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    kyiv = make_article(client, editor_headers, title="Київ і мир", body="<p>Текст.</p>")

    for q in HOSTILE_WITHOUT_WORDS:
        response = client.get("/v1/search", params={"q": q})
        assert response.status_code == 422, repr(q)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "q"
    for q in HOSTILE_WITH_WORDS:
        response = client.get("/v1/search", params={"q": q})
        assert response.status_code == 200, repr(q)
        assert response.json()["data"] == [] or response.json()["data"][0]["id"] == kyiv["id"]
    assert search_ids(client, 'Київ"') == [kyiv["id"]]
    assert search_ids(client, "NEAR(Київ)") == []  # "near" is a word like any other
    assert search_ids(client, "Київ | !") == [kyiv["id"]]
    # The database and its content survived.
    assert search_ids(client, "мир") == [kyiv["id"]]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 422),  # q is required
        ({"q": "x" * 201}, 422),
        ({"q": " ".join(f"w{i}" for i in range(17))}, 422),
        ({"q": " ".join(f"w{i}" for i in range(16))}, 200),
        ({"q": "мир", "limit": 101}, 422),
        ({"q": "мир", "lang": "not a lang"}, 422),
    ],
)
def test_query_limits(client: RecordingClient, params: dict[str, Any], status: int) -> None:
    assert client.get("/v1/search", params=params).status_code == status


def test_results_are_cacheable_until_the_content_changes(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    old = make_article(client, editor_headers, title="Повінь у Києві", published_at=hours_ago(2))
    first = client.get("/v1/search", params={"q": "повінь"})
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=30, stale-while-revalidate=300"
    assert first.headers["content-language"] == "uk"

    unchanged = client.get("/v1/search", params={"q": "повінь"}, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304

    new = make_article(client, editor_headers, title="Повінь у Одесі")
    changed = client.get("/v1/search", params={"q": "повінь"}, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    # Equal matches: the newer first.
    assert [hit["id"] for hit in changed.json()["data"]] == [new["id"], old["id"]]


def test_fields_and_include_shape_the_hits(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, title="Посуха", body="<p>Спека.</p>")
    compact = search(client, "посуха", fields="id,rank")["data"]
    assert [set(hit) for hit in compact] == [{"id", "rank"}]
    assert compact[0]["id"] == article["id"]
    full = search(client, "посуха", include="body")["data"]
    assert full[0]["body"] == "<p>Спека.</p>"
    unknown = client.get("/v1/search", params={"q": "посуха", "fields": "id,score"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == [{"field": "fields", "message": "Unknown field 'score'."}]


def test_a_word_matches_its_forms_never_a_mere_prefix_unless_asked_with_a_star(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    ukraine = make_article(client, editor_headers, title="Україна", body="<p>Текст.</p>")
    adjective = make_article(
        client,
        editor_headers,
        title="Огляд",
        body="<p>Про українських військових.</p>",
        published_at=hours_ago(2),
    )
    in_ukraine = make_article(
        client, editor_headers, title="Новини", body="<p>В Україні тепло.</p>",
        published_at=hours_ago(3),
    )  # fmt: skip

    assert search_ids(client, "Україна") == [ukraine["id"], in_ukraine["id"]]
    assert search_ids(client, "україні") == [ukraine["id"], in_ukraine["id"]]
    assert search_ids(client, "українськ") == []  # not a word: no implied prefix
    assert search_ids(client, "україн*") == [ukraine["id"], adjective["id"], in_ukraine["id"]]
    assert search_ids(client, "УКРАЇНСЬ*") == [adjective["id"]]
    assert search_ids(client, "військ*") == [adjective["id"]]


def test_quoted_phrases_match_the_words_as_written_and_in_order(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    korea = make_article(
        client, editor_headers, title="Північна Корея", body="<p>Пхеньян заявив.</p>"
    )
    reversed_ = make_article(
        client,
        editor_headers,
        title="Корея",
        body="<p>Корея північна і південна.</p>",
        published_at=hours_ago(2),
    )
    inflected = make_article(
        client,
        editor_headers,
        title="Огляд",
        body="<p>Про Північну Корею.</p>",
        published_at=hours_ago(3),
    )

    assert search_ids(client, "північна корея") == [korea["id"], reversed_["id"], inflected["id"]]
    assert search_ids(client, '"північна корея"') == [korea["id"]]
    assert search_ids(client, '"ПІВНІЧНУ КОРЕЮ"') == [inflected["id"]]
    assert search_ids(client, '"корея"') == [korea["id"], reversed_["id"]]  # only that form
    # A phrase, a word and a prefix together: each must match.
    assert search_ids(client, '"північна корея" заявити пхен*') == [korea["id"]]
    assert search_ids(client, '"корея північна" пхен*') == []
