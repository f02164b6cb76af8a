"""A webhook's article versions each in one language (issue 20): `data.article.en` names
its section, sources and byline in English, as `GET /v1/articles?lang=en` does."""

from tests.conftest import RecordingClient
from tests.factories import make_article, make_author, make_source, make_tag
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import Receiver


def test_an_english_original_is_named_in_english_in_the_payload(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    make_tag(hooked, editor_headers, "news", uk="Новини", en="News")
    make_source(hooked, editor_headers, "isw", uk="Інститут вивчення війни", en="ISW")
    make_author(hooked, editor_headers, "editorial", names={"uk": "Редакція", "en": "Newsroom"})
    hook = subscribe(hooked, admin_headers, receiver.url, events=["article.published"])
    make_article(
        hooked,
        editor_headers,
        lang="en",
        title="Democrats call on Pentagon",
        tags=["news"],
        authors=["editorial"],
        citations=[{"source": "isw"}],
    )
    [received] = receiver.wait_count(1)
    versions = received.verified(hook["secret"])["data"]["article"]
    assert list(versions) == ["en"]
    item = versions["en"]
    assert (item["primary_tag"]["name"], item["tags"][0]["name"]) == ("News", "News")
    assert (item["sources"][0]["name"], item["authors"][0]["name"]) == ("ISW", "Newsroom")
    public = hooked.get("/v1/articles", params={"lang": "en"}).json()["data"][0]
    assert item == {k: v for k, v in public.items() if k != "body"}
