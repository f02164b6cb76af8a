"""Ghost exports (versions 2 to 5): members and paid posts never public, the public preview
before <!--members-only--> as their excerpt, pages reported, __GHOST_URL__ resolved, tags
in their order."""

from pathlib import Path
from typing import Any

from tests.conftest import RecordingClient
from tests.imports.helpers import counts, exported_articles, import_file

FIXTURES = Path(__file__).parent / "fixtures"
SITE = "https://tyzhnevyk.example.org"
PAID = "ghost:a6f1c3d2-0b1e-4c55-9a10-3f1e2d4c5b61"
MEMBERS = "ghost:b7028d13-1c2f-4d66-8b21-402f3e5d6c72"
PUBLIC = "ghost:c8139e24-2d30-4e77-9c32-513040e7d883"


def _exported(client: RecordingClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    text = client.get("/v1/exports", headers=headers).text
    return {line["external_id"]: line for line in exported_articles(text)}


def test_members_and_paid_posts_are_never_public_and_keep_their_preview_as_excerpt(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = import_file(
        client, editor_headers, FIXTURES / "ghost-5-members.json", "ghost", site_url=SITE
    )

    assert counts(report) == (4, 0, 0, 0)
    assert report["kinds"]["page"]["created"] == 1
    restricted = "at the source: imported as restricted (its body is not public)."
    assert [(n["item"], n["message"]) for n in report["notes"]] == [
        (1, f"Visibility 'paid' {restricted}"),
        (2, f"Visibility 'members' {restricted}"),
        (
            2,
            "An email-only newsletter (status 'sent'), never on the website: imported as a "
            "draft, not public.",
        ),
    ]
    assert report["skipped_items"] == []
    stored = _exported(client, editor_headers)
    paid = stored[PAID]
    assert (paid["status"], paid["visibility"], paid["original_lang"]) == (
        "published",
        "restricted",
        "uk",  # the site's locale
    )
    assert paid["translations"][0]["excerpt"] == (
        "Ми отримали кошториси трьох шкіл. Два з них завищені вдвічі."
    )  # the public preview, not the body behind the paywall
    assert [t["slug"] for t in paid["tags"]] == ["rozsliduvannia", "osvita"]  # primary first
    assert paid["cover_image"] == {
        "url": f"{SITE}/content/images/2024/10/ukryttia.jpg",
        "width": None,
        "height": None,
    }
    assert (paid["translations"][0]["cover_alt"], paid["translations"][0]["cover_caption"]) == (
        "Вхід до укриття школи №5",
        "Фото: редакція",
    )
    assert (
        f'<img src="{SITE}/content/images/2024/10/koshtorys.jpg"'
        in (paid["translations"][0]["body"])
    )
    assert [(a["slug"], a["names"]) for a in paid["authors"]] == [
        ("marta", {"uk": "Марта Гнатюк"}),  # sort_order 0: the primary byline
        ("andrii", {"uk": "Andrii Koval"}),
    ]
    assert (paid["authors"][0]["photo_url"], paid["authors"][0]["links"]) == (
        f"{SITE}/content/images/2024/01/marta.jpg",
        ["https://marta.example.org"],
    )
    assert paid["featured"] is True
    assert (stored[MEMBERS]["visibility"], stored[MEMBERS]["status"]) == ("restricted", "draft")
    article = client.get("/v1/articles/kudy-podilysia-hroshi-na-ukryttia").json()
    assert (article["visibility"], article["body"]) == ("restricted", None)
    assert client.get("/v1/articles/shchotyzhnevyi-lyst").status_code == 404  # a newsletter
    paywalled = client.get("/v1/articles/kudy-podilysia-hroshi-na-ukryttia").json()
    assert paywalled["excerpt"] == "Ми отримали кошториси трьох шкіл. Два з них завищені вдвічі."
    feed = client.get("/v1/articles").json()["data"]
    assert [(item["slug"], item["visibility"]) for item in feed] == [
        ("kudy-podilysia-hroshi-na-ukryttia", "restricted"),
        ("mist", "public"),
    ]
    assert client.get("/v1/search", params={"q": "підрядник"}).json()["data"] == []
    assert client.get("/v1/pages/kontakty").json()["body"] == "<p>Пишіть нам.</p>"


def test_ghost_urls_are_resolved_and_embeds_become_links(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    import_file(client, editor_headers, FIXTURES / "ghost-5-members.json", "ghost", site_url=SITE)

    body = _exported(client, editor_headers)[MEMBERS]["translations"][0]["body"]
    rel = 'rel="noopener noreferrer"'
    assert body == (
        "<p>Привіт! Цього тижня — три новини.</p>"
        f'<p>Перша: відкрили новий міст. <a href="{SITE}/mist/" {rel}>Читайте репортаж</a>.</p>'
        f'<figure><a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ" {rel}>'
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ</a></figure>"
    )
    public = client.get("/v1/articles/mist").json()
    assert public["cover_image"]["url"] == f"{SITE}/content/images/2024/10/mist.jpg"
    assert public["excerpt"] == "Рух відкрито."


def test_without_a_site_url_ghost_links_become_root_relative_and_the_report_says_so(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = import_file(client, editor_headers, FIXTURES / "ghost-5-members.json", "ghost")

    relative = "Links to __GHOST_URL__ made root-relative: give --site-url for full URLs."
    assert [n["item"] for n in report["notes"] if n["message"] == relative] == [1, 2, 3]
    stored = _exported(client, editor_headers)
    assert '<a href="/mist/"' in stored[MEMBERS]["translations"][0]["body"]
    assert stored[PUBLIC]["cover_image"] is None  # not an http(s) URL


def test_ghost_2_pages_are_pages_and_its_locale_setting_is_the_language(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = import_file(client, editor_headers, FIXTURES / "ghost-2-export.json", "ghost")

    assert counts(report) == (2, 0, 0, 0)
    assert report["kinds"]["page"]["created"] == 1
    assert client.get("/v1/pages/about", params={"lang": "en"}).status_code == 200
    article = client.get("/v1/articles/welcome", params={"lang": "en"}).json()
    assert (article["lang"], article["body"]) == ("en", "<p>Hello.</p>")
    assert counts(
        import_file(client, editor_headers, FIXTURES / "ghost-2-export.json", "ghost")
    ) == (
        0,
        0,
        2,
        0,
    )
