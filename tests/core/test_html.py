"""Plain text of sanitized HTML: the fast path agrees with the HTML parser."""

import json
from pathlib import Path

import pytest

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
