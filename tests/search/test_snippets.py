"""Snippets: the matched words marked in a short passage of the hit's own translation,
built from the original text, escaped (no markup but <mark>)."""

from typing import Any

from app.search.snippets import SNIPPET_CHARS, snippet_sources
from tests.conftest import RecordingClient
from tests.factories import make_article


def article(
    client: RecordingClient, headers: dict[str, str], title: str, excerpt: str, body: str
) -> dict[str, Any]:
    translation = {"lang": "uk", "title": title, "excerpt": excerpt, "body": body}
    return make_article(client, headers, translations=[translation])


def hits(client: RecordingClient, q: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def snippets(client: RecordingClient, q: str, **params: Any) -> list[str | None]:
    return [hit["snippet"] for hit in hits(client, q, **params)]


def test_every_form_of_the_lemma_is_marked_in_the_original_text(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article(
        client,
        editor_headers,
        "Ціни",
        "Огляд цін.",
        "<p>Хліб коштує 40 гривень, молоко – одну гривню. Гривня стабільна.</p>",
    )
    expected = (
        "Хліб коштує 40 <mark>гривень</mark>, молоко – одну <mark>гривню</mark>. "
        "<mark>Гривня</mark> стабільна."
    )
    for q in ("гривня", "ГРИВЕНЬ", "гривнями"):
        assert snippets(client, q) == [expected], q
    # A phrase is marked as one passage, a prefix on every word it starts.
    assert snippets(client, '"одну гривню"') == [
        "Хліб коштує 40 гривень, молоко – <mark>одну гривню</mark>. Гривня стабільна."
    ]
    assert snippets(client, "грив* хліб") == [
        "<mark>Хліб</mark> коштує 40 <mark>гривень</mark>, молоко – одну <mark>гривню</mark>. "
        "<mark>Гривня</mark> стабільна."
    ]
    # The excerpt is quoted when it holds what the body does not.
    assert snippets(client, "огляд") == ["<mark>Огляд</mark> цін."]


def test_a_match_deep_in_a_long_body_is_quoted_around_it(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    filler = "Довгий вступ без потрібного слова. " * 40
    article(
        client,
        editor_headers,
        "Звіт",
        "Коротко.",
        f"<p>{filler}Нарешті сказано про перемогу над хворобою. {filler}</p>",
    )
    [quoted] = snippets(client, "перемога")
    assert quoted is not None
    assert quoted.startswith("…")
    assert quoted.endswith("…")
    assert "<mark>перемогу</mark> над хворобою." in quoted
    assert len(quoted.replace("<mark>", "").replace("</mark>", "")) <= SNIPPET_CHARS + 2


def test_snippets_never_carry_markup_but_mark(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article(
        client,
        editor_headers,
        "Код",
        'Про <b>тег</b> & "лапки"',
        (
            "<p>Рядок &lt;script&gt;alert(1)&lt;/script&gt; і &lt;b&gt;жирний&lt;/b&gt; тег,"
            " &amp;lt;i&amp;gt; теж тег.</p><script>alert(2)</script>"
            '<p onclick="alert(3)">Ще тег <img src=x onerror=alert(4)></p>'
        ),
    )
    [body_snippet] = snippets(client, "рядок тег")
    # The body's text is read as plain text is (README: markup that decoding would form is
    # dropped, as in automatic excerpts); what is left is escaped; <mark> is the only tag.
    assert body_snippet == (
        "<mark>Рядок</mark>  і жирний <mark>тег</mark>, &amp;lt;i&amp;gt; теж <mark>тег</mark>. "
        "Ще <mark>тег</mark>"
    )
    [excerpt_snippet] = snippets(client, "лапки")
    # The excerpt is plain text: its markup was stripped when it was written.
    assert excerpt_snippet == ("Про тег &amp; &quot;<mark>лапки</mark>&quot;")
    for text in (body_snippet, excerpt_snippet):
        assert "<" not in text.replace("<mark>", "").replace("</mark>", "")


def test_a_snippet_is_in_the_language_the_hit_is_shown_in(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    bilingual = make_article(
        client,
        editor_headers,
        translations=[
            {
                "lang": "uk",
                "title": "Санкції",
                "excerpt": "Коротко.",
                "body": "<p>ЄС ухвалив нові санкції проти Росії, повідомляє ISW.</p>",
            },
            {
                "lang": "en",
                "title": "Sanctions",
                "excerpt": "In short.",
                "body": "<p>The EU adopted new sanctions against Russia, ISW reports.</p>",
            },
        ],
    )
    assert snippets(client, "санкція", lang="uk") == [
        "ЄС ухвалив нові <mark>санкції</mark> проти Росії, повідомляє ISW."
    ]
    assert snippets(client, "sanction", lang="en") == [
        "The EU adopted new <mark>sanctions</mark> against Russia, ISW reports."
    ]
    # A name in both: marked in the reader's language.
    assert snippets(client, "isw", lang="en") == [
        "The EU adopted new sanctions against Russia, <mark>ISW</mark> reports."
    ]
    # Found by a Ukrainian word, shown in English: the English text, nothing to mark.
    [hit] = hits(client, "санкціями", lang="en")
    assert (hit["id"], hit["lang"]) == (bilingual["id"], "en")
    assert hit["snippet"] == "In short."


def test_fields_can_ask_for_the_snippet_alone(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article(client, editor_headers, "Посуха", "Спека.", "<p>Посуха.</p>")
    assert hits(client, "посуха", fields="snippet") == [{"snippet": "<mark>Посуха</mark>."}]
    assert [set(hit) for hit in hits(client, "посуха", fields="id,rank")] == [{"id", "rank"}]


def test_only_snippet_sources_decides_what_may_be_quoted() -> None:
    body = "<p>Тіло статті.</p>"
    assert snippet_sources("Анонс.", body) == ["Анонс.", "Тіло статті."]
    # An article whose body must not be shown is quoted from its excerpt alone.
    assert snippet_sources("Анонс.", body, body_visible=False) == ["Анонс."]
    assert snippet_sources("", body, body_visible=False) == []


def test_the_passage_matching_the_most_words_is_quoted_with_every_match_in_it(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    filler = "Інші новини дня без жодного збігу. " * 8
    article(
        client,
        editor_headers,
        "Економіка",
        "Коротко.",
        f"<p>Курс стабільний. {filler}Курс гривні зміцнився, гривня дорожчає. {filler}</p>",
    )
    [quoted] = snippets(client, "гривня курс")
    assert quoted is not None
    assert (
        "<mark>Курс</mark> <mark>гривні</mark> зміцнився, <mark>гривня</mark> дорожчає." in quoted
    )
    assert quoted.startswith("…")
    # Only the first "Курс" alone: the passage with both words wins.
    assert "<mark>Курс</mark> стабільний" not in quoted
