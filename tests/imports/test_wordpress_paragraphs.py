"""A classic WordPress post's line breaks become the paragraphs its site showed, as
WordPress documents its auto-paragraphs (`wpautop`): a blank line ends a paragraph, a
single line break is a <br>, block elements stand alone, <pre> is kept as it was."""

from pathlib import Path

from tests.conftest import RecordingClient
from tests.imports.helpers import counts, import_file

# (post content as WordPress stores it, the body the article shows)
CASES = {
    # WordPress's own example (developer.wordpress.org, wpautop):
    "documented-example": (
        "Some long text\nthat has many lines\n\nand paragraphs in it.",
        "<p>Some long text<br>\nthat has many lines</p>\n<p>and paragraphs in it.</p>",
    ),
    "blocks-stand-alone": (
        "<h2>Section</h2>\nFirst line.\n\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\nLast.",
        "<h2>Section</h2>\n<p>First line.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        "<p>Last.</p>",
    ),
    "pre-kept": (
        "Code:\n\n<pre>line 1\n\nline 3</pre>\n\nAfter.",
        "<p>Code:</p>\n<pre>line 1\n\nline 3</pre>\n<p>After.</p>",
    ),
    "quotation-paragraphs": (
        "<blockquote>One\n\nTwo</blockquote>",
        "<blockquote><p>One</p>\n<p>Two</p>\n</blockquote>",
    ),
    "windows-line-ends": (
        "First\r\nsecond\r\n\r\nthird",
        "<p>First<br>\nsecond</p>\n<p>third</p>",
    ),
    "break-inside-a-tag": (
        'See <a\nhref="https://example.org/">the report</a>.',
        '<p>See <a href="https://example.org/" rel="noopener noreferrer">the report</a>.</p>',
    ),
    "list-item-lines": (
        "<ol>\n<li>first\nline</li>\n</ol>",
        "<ol>\n<li>first<br>\nline</li>\n</ol>",
    ),
}


def _wxr(tmp_path: Path) -> Path:
    items = "".join(
        f"<item><title>{slug}</title><guid>https://site.example/?p={n}</guid>"
        f"<content:encoded><![CDATA[{content}]]></content:encoded>"
        f"<wp:post_id>{n}</wp:post_id><wp:post_name>{slug}</wp:post_name>"
        "<wp:post_date_gmt>2024-01-02 10:00:00</wp:post_date_gmt>"
        "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>"
        for n, (slug, (content, _)) in enumerate(CASES.items(), 1)
    )
    path = tmp_path / "classic.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel><language>en</language>'
        f"<wp:base_site_url>https://site.example</wp:base_site_url>{items}</channel></rss>",
        encoding="utf-8",
    )
    return path


def test_classic_posts_get_paragraphs_as_wordpress_documents_them(
    client: RecordingClient, editor_headers: dict[str, str], tmp_path: Path
) -> None:
    report = import_file(client, editor_headers, _wxr(tmp_path), "wxr")

    assert counts(report) == (len(CASES), 0, 0, 0)
    for slug, (_, body) in CASES.items():
        article = client.get(f"/v1/articles/{slug}").json()
        assert article["body"] == body, slug
