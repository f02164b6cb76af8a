"""Acceptance: every form of a lemma finds every article holding any form of it, on real
news (../shared/data/ntrex-en-uk.jsonl, imported as an import writes it) and on our own
sentences; look-alike words (false friends) do not match each other.

The forms are listed by hand: an article "holds" a lemma when its text has one of the
listed forms as a whole word. Some forms are ambiguous (\"року\": рік or рок): they find
the articles of each of their lemmas; the lists only require that nothing is missed."""

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from app.models import Article, ArticleTranslation
from tests.conftest import RecordingClient
from tests.factories import bulk_import, make_article, news_rows

# 42 Ukrainian lemmas: nouns of each gender (singular and plural, in several cases), verbs
# (infinitive, past of each gender and plural, present, future), adjectives.
UKRAINIAN: dict[str, list[str]] = {
    # nouns, masculine
    "рік": ["рік", "року", "році", "роки", "років", "роках"],
    "президент": ["президент", "президента", "президентом", "президенту"],
    "тиждень": ["тиждень", "тижня", "тижні", "тижнів"],
    "день": ["день", "дня", "днів", "днем"],
    "суд": ["суд", "суду", "суді"],
    "уряд": ["уряд", "уряду", "урядом", "урядів"],
    "місяць": ["місяць", "місяця", "місяці"],
    "лідер": ["лідер", "лідера", "лідери", "лідерів", "лідерами", "лідерові"],
    "результат": ["результат", "результату", "результати", "результатів", "результатами"],
    "трамп": ["трамп", "трампа", "трампом", "трампу"],
    # nouns, feminine
    "гривня": ["гривня", "гривні", "гривень", "гривнями", "гривнях"],
    "область": ["область", "областей", "областях", "областями"],
    "проблема": ["проблема", "проблеми", "проблем", "проблемою", "проблему", "проблемами"],
    "допомога": ["допомога", "допомогу", "допомогою", "допомоги"],
    "жінка": ["жінка", "жінку", "жінок", "жінками", "жінкам"],
    "поліція": ["поліція", "поліції", "поліцію"],
    "перемога": ["перемога", "перемогу", "перемогою", "перемог"],
    "зустріч": ["зустріч", "зустрічей"],
    "команда": ["команда", "команду", "командою", "команд"],
    "гра": ["гра", "гри", "грі", "грою", "ігри", "іграх", "іграми"],
    # nouns, neuter
    "місто": ["місто", "міста", "місті"],
    "рішення": ["рішення", "рішень", "рішенням", "рішеннями"],
    "місце": ["місце", "місця", "місці", "місць", "місцях", "місцем"],
    "життя": ["життя", "житті", "життям"],
    "слово": ["слово", "слова", "словами"],
    "розслідування": ["розслідування", "розслідуванні", "розслідуванням"],
    # verbs: infinitive, past, present, future
    "говорити": [
        "говорити",
        "говорив",
        "говорила",
        "говорили",
        "говорить",
        "говорять",
        "говоритиме",
    ],
    "сказати": ["сказати", "сказав", "сказала", "сказали", "скаже", "скажуть"],
    "заявити": ["заявити", "заявив", "заявила", "заявили", "заявило"],
    "отримати": ["отримати", "отримав", "отримала", "отримали", "отримає", "отримають"],
    "працювати": ["працювати", "працює", "працював", "працюють", "працювали", "працюватимуть"],
    "повідомити": ["повідомити", "повідомив", "повідомила", "повідомили", "повідомило"],
    "вважати": ["вважати", "вважає", "вважають", "вважаю", "вважатиме"],
    "знати": ["знати", "знаю", "знає", "знають", "знали", "знав"],
    "намагатися": ["намагатися", "намагається", "намагаються", "намагався", "намагалася"],
    # adjectives
    "останній": ["останній", "останні", "останніх", "останню", "остання", "останньою"],
    "північний": ["північний", "північна", "північного", "північної", "північною", "північній"],
    "національний": [
        "національний",
        "національна",
        "національного",
        "національної",
        "національних",
    ],
    "американський": [
        "американський",
        "американська",
        "американського",
        "американських",
        "американські",
    ],
    "політичний": ["політичний", "політична", "політичні", "політичних", "політичну"],
    "державний": ["державний", "державна", "державні", "державних", "державного"],
    "новий": ["новий", "нові", "нових", "новими"],
}
ENGLISH: dict[str, list[str]] = {
    "drug": ["drug", "drugs"],
    "country": ["country", "countries"],
    "arrest": ["arrest", "arrested", "arrests"],
    "government": ["government", "governments"],
    "election": ["election", "elections", "elected", "elect"],
    "minister": ["minister", "ministers"],
    "player": ["player", "players"],
    "report": ["report", "reports", "reported", "reporting"],
    "woman": ["woman"],
    "year": ["year", "years"],
    "study": ["study", "studies", "studied"],
    "court": ["court", "courts"],
    "vote": ["vote", "votes", "voted", "voting"],
    "investigate": ["investigate", "investigation", "investigations", "investigated"],
    "leader": ["leader", "leaders"],
    "decide": ["decide", "decided", "decides"],
    "company": ["company", "companies"],
    "win": ["win", "wins", "winning"],
    "charge": ["charge", "charged", "charges"],
    "officer": ["officer", "officers"],
    "support": ["support", "supported", "supporters"],
    "announce": ["announce", "announced", "announcement"],
}


# Our own sentences, for forms the news lacks (гривня, область...) or has once.
OWN_UKRAINIAN = [
    "Ціни в гривнях зросли: хліб коштує 40 гривень, а не одну гривню.",
    "Гривня подешевшала; у трьох областях розрахувалися гривнями.",
    "Жителі двох областей і Київська область говоритимуть про воду.",
    "Вона говорила, що вони говоритимуть завтра, а він говорив учора.",
    "Наступного року команда працюватиме в новому місті.",
]
OWN_ENGLISH = [
    "Police seized drugs; one drug was new to the lab.",
    "Two countries, one country: the leaders decide.",
]

# (query, text that must not match it, text that must): look-alikes that share their
# first letters, or a stem, with the query but not a lemma.
FALSE_FRIENDS = [
    ("Україна", "Про українських військових.", "Україна переможе."),
    ("мир", "Миротворці прибули.", "Миру всім."),
    ("право", "Правда переможе.", "Право на освіту."),
    ("лист", "Листопад видався теплим.", "Лист дійшов."),
    ("рада", "Радар виявив ціль.", "Рада ухвалила закон."),
    ("вода", "Водій зупинився.", "Вода холодна."),
    ("сон", "Сонце зійшло.", "Сон був довгий."),
    ("море", "Морква подорожчала.", "Море штормить."),
    ("кран", "Країна чекає.", "Кран зламався."),
    ("мова", "Мовчання тривало.", "Мова рідна."),
    ("рік", "Рікша поїхав.", "Рік минув."),
    ("зброя", "Збройні сили.", "Зброя прибула."),
    ("country", "The countryside is green.", "A country votes."),
    ("drug", "The drugstore closed.", "A drug was banned."),
    ("police", "A new policy started.", "Police arrived."),
    ("art", "The article was long.", "Art heals."),
    ("car", "Carbon levels rose.", "The car stopped."),
    ("war", "A warm winter.", "The war goes on."),
    ("news", "The newspaper printed it.", "Good news came."),
    ("gene", "The general spoke.", "A gene was found."),
]


def _holders(texts: dict[str, str], forms: list[str]) -> set[str]:
    """The articles (by id) whose text has one of `forms` as a whole word."""
    pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(forms) + r")(?![^\W_])", re.IGNORECASE)
    return {article_id for article_id, text in texts.items() if pattern.search(text)}


def _found(client: RecordingClient, q: str) -> set[str]:
    """Every hit, page after page (ids only: no snippets to build)."""
    ids: set[str] = set()
    params: dict[str, Any] = {"q": q, "limit": 100, "fields": "id"}
    while True:
        response = client.get("/v1/search", params=params)
        assert response.status_code == 200, response.text
        ids |= {hit["id"] for hit in response.json()["data"]}
        cursor = response.json()["meta"]["next_cursor"]
        if cursor is None:
            return ids
        params["cursor"] = cursor


def _seed(
    client: RecordingClient,
    headers: dict[str, str],
    sessions: sessionmaker[Session],
    data_dir: Path,
) -> dict[str, str]:
    """The news (bulk SQL, lemma columns as an import computes them) and our sentences
    (the editor API); returns every article's text, all translations, by id."""
    articles, translations = news_rows(data_dir)
    with bulk_import(sessions) as session:
        session.execute(insert(Article.__table__), articles)
        session.execute(insert(ArticleTranslation.__table__), translations)
    texts: dict[str, str] = {}
    for row in translations:
        key = str(row["article_id"])
        texts[key] = texts.get(key, "") + "\n".join((row["title"], row["excerpt"], row["body"]))
    for lang, sentences in (("uk", OWN_UKRAINIAN), ("en", OWN_ENGLISH)):
        for n, sentence in enumerate(sentences):
            made = make_article(
                client, headers, lang=lang, title=f"Допис {lang} {n}", body=f"<p>{sentence}</p>"
            )
            texts[made["id"]] = f"Допис {lang} {n}\n{sentence}"
    return texts


@pytest.mark.parametrize(("language", "lemmas"), [("uk", UKRAINIAN), ("en", ENGLISH)])
def test_every_form_finds_every_article_with_any_form_of_its_lemma(
    client: RecordingClient,
    editor_headers: dict[str, str],
    sessions: sessionmaker[Session],
    shared_data_dir: Path,
    language: str,
    lemmas: dict[str, list[str]],
) -> None:
    assert len(lemmas) >= (40 if language == "uk" else 20)
    texts = _seed(client, editor_headers, sessions, shared_data_dir)
    for lemma, forms in lemmas.items():
        holders = _holders(texts, forms)
        assert holders, lemma  # the lists name forms that occur
        for form in forms:
            missed = holders - _found(client, form)
            assert missed == set(), f"{form!r} ({lemma}) missed {len(missed)} of {len(holders)}"
        # Any case: a capitalized form finds the same.
        assert holders <= _found(client, forms[-1].capitalize()), forms[-1]


def test_false_friends_do_not_match(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    made = [
        (
            q,
            make_article(client, editor_headers, title=f"Нотатка {n}", body=f"<p>{miss}</p>")["id"],
            make_article(client, editor_headers, title=f"Нотатка {n}", body=f"<p>{hit}</p>")["id"],
        )
        for n, (q, miss, hit) in enumerate(FALSE_FRIENDS)
    ]
    for q, _, hit in made:
        assert _found(client, q) == {hit}, q
