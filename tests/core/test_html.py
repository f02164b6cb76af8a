"""Plain text of sanitized HTML: the fast path agrees with the HTML parser."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.html import sanitize_html, sanitized_to_plain_text, to_plain_text

TRICKY = [
    '<p>a &amp; b<br>c<img alt="x>y" src="https://e.org/x.png">d &lt;e&gt; &nbsp;f</p>'
    "<ul><li>1</li><li>2</li></ul><script>x</script><!-- c -->",
    '<a href="javascript:x" title=\'q"r\'>t</a><h2>Head</h2>tail',
    "plain & text <b>bold</b>",
]


@pytest.mark.parametrize("html", TRICKY)
def test_tricky_html_reads_the_same(html: str) -> None:
    clean = sanitize_html(html)
    assert sanitized_to_plain_text(clean) == to_plain_text(clean)


def test_real_articles_read_the_same(shared_data_dir: Path) -> None:
    text = (shared_data_dir / "ntrex-en-uk.jsonl").read_text(encoding="utf-8")
    docs = [json.loads(line) for line in text.splitlines()]
    for doc in docs:
        for lang in ("en", "uk"):
            clean = sanitize_html("".join(f"<p>{p}</p>" for p in doc[lang]["body"].split("\n")))
            assert sanitized_to_plain_text(clean) == to_plain_text(clean)


_TAGS = [
    *("table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "td", "th"),
    *("p", "div", "a", "b", "em", "ul", "ol", "li", "dl", "dt", "dd", "pre", "blockquote"),
    *("figure", "figcaption", "iframe", "img", "br", "hr", "h2", "span", "select", "option"),
    *("form", "math", "svg", "template", "noscript", "object", "embed", "source", "picture"),
]
_MARKUP = st.one_of(
    st.sampled_from(_TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(_TAGS).map(lambda t: f"</{t}>"),
    st.sampled_from(["x", " ", "\n", "&amp;", "&nbsp;", "<!--c-->", '<a href="https://e.org/">']),
    st.text(max_size=3),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_MARKUP, max_size=16).map("".join))
def test_sanitizing_sanitized_html_returns_it_unchanged(html: str) -> None:
    """Mis-nested markup (a table in a list term, `<pre>` and its first newline, blocks in
    `<p>`) is repaired once: storing a stored body again never changes it."""
    clean = sanitize_html(html)
    assert sanitize_html(clean) == clean


@pytest.mark.parametrize(
    "html",
    ["<dt><table><dt>", "<pre><tr>\n", "<p><table><tr><td>x</td></tr></table></p>"],
)
def test_markup_that_html5ever_repairs_twice_is_stored_as_its_fixed_point(html: str) -> None:
    clean = sanitize_html(html)
    assert sanitize_html(clean) == clean
