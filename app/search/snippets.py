"""Snippets: a short passage of a hit's translation with the matched words in <mark>.

Built from the original text (never the lemmas), in the language the hit is given in,
matched the way the index matches: a word by its terms (analysed by that translation's
language), phrases and prefixes on the raw words. Everything but the <mark> tags this
adds is HTML-escaped text: a body holding "<script>" or "&lt;b&gt;" yields the characters,
never markup.
"""

import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from app.core.html import sanitized_to_plain_text
from app.search import analysis
from app.search.query import RAW_TOKEN, Query

SNIPPET_CHARS = 200  # about two lines
_LEAD = 40  # characters shown before the first match, when it is not at the start
_REACH = SNIPPET_CHARS - _LEAD - 20  # how far after its first match a passage may mark
# Characters of a body read for a snippet: matches further in are not quoted.
BODY_CHARS = 20_000


def snippet_sources(excerpt: str, body_html: str, *, body_visible: bool = True) -> list[str]:
    """The only place that decides what a snippet may quote: the plain text of the
    excerpt, then of the body (its first BODY_CHARS), in that order of preference. An
    article whose body must not be shown (`body_visible` False) is quoted from its excerpt
    alone."""
    sources = [excerpt]
    if body_visible:
        clipped = body_html[:BODY_CHARS]
        open_tag = clipped.rfind("<")
        if open_tag > clipped.rfind(">"):  # a tag cut in two: drop its start
            clipped = clipped[:open_tag]
        sources.append(sanitized_to_plain_text(clipped))
    return [unicodedata.normalize("NFC", text) for text in sources if text.strip()]


@dataclass(frozen=True)
class _Mark:
    start: int
    end: int
    item: int  # which item of the query it matches


def snippet(lang: str, query: Query, sources: list[str]) -> str | None:
    """The passage of `sources` that matches the most items of `query` (the earliest of
    equals), marked and escaped; the start of the first source if none matches."""
    best: tuple[tuple[int, int], str, list[_Mark], _Mark] | None = None
    for number, text in enumerate(sources):
        marks = _marks(lang, query, text)
        if not marks:
            continue
        anchor, covered = _best_window(marks)
        score = (len(covered), -number)
        if best is None or score > best[0]:
            best = (score, text, marks, anchor)
    if best is None:
        return _render(sources[0], 0, []) if sources else None
    _, text, marks, anchor = best
    # From the start when the passage fits there, else from a little before it.
    last = max(m.end for m in marks if anchor.start <= m.start < anchor.start + _REACH)
    start = 0 if last <= SNIPPET_CHARS else _word_start(text, anchor.start - _LEAD)
    return _render(text, start, [mark for mark in marks if mark.start >= start])


def _marks(lang: str, query: Query, text: str) -> list[_Mark]:
    marks: list[_Mark] = []
    if query.words:
        # Which distinct words of the text match which item, then where they are (one
        # regex pass): far cheaper than analysing every word where it stands.
        items = {term: item for item, terms in enumerate(query.words) for term in terms}
        query_terms = items.keys()
        distinct = list(dict.fromkeys(analysis.words(text)))
        analysed = analysis.analyser(lang).many(distinct)
        found = {
            word: next(items[term] for term in terms if term in items)
            for word, terms in zip(distinct, analysed, strict=True)
            if not query_terms.isdisjoint(terms)
        }
        if found:
            forms = "|".join(sorted(map(re.escape, found), key=len, reverse=True))
            pattern = re.compile(rf"(?<![^\W_'’ʼ])(?:{forms})(?![^\W_]|['’ʼ][^\W_])", re.I)
            for match in pattern.finditer(text):
                item = found.get(match.group().lower())
                if item is not None:
                    marks.append(_Mark(match.start(), match.end(), item))
    if query.raw_items:
        tokens = list(RAW_TOKEN.finditer(text.replace("ʼ", " ")))
        lowered = [token.group().lower() for token in tokens]
        for offset, raw in enumerate(query.raw_items):
            item, wanted, prefix = len(query.words) + offset, raw.tokens, raw.prefix
            n = len(wanted)
            for i in range(len(tokens) - n + 1):
                window = lowered[i : i + n]
                if window[:-1] == list(wanted[:-1]) and (
                    window[-1].startswith(wanted[-1]) if prefix else window[-1] == wanted[-1]
                ):
                    marks.append(_Mark(tokens[i].start(), tokens[i + n - 1].end(), item))
    marks.sort(key=lambda mark: (mark.start, -mark.end))
    merged: list[_Mark] = []
    for mark in marks:  # overlapping marks (a word both a term and a prefix) become one
        if merged and mark.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = _Mark(last.start, max(last.end, mark.end), last.item)
        else:
            merged.append(mark)
    return merged


def _best_window(marks: list[_Mark]) -> tuple[_Mark, set[int]]:
    """The mark starting the passage (_REACH long) that covers the most items (the
    earliest of equals), and those items. One pass, the passage sliding along the marks
    (sorted, not overlapping): a body full of prefix matches has thousands."""
    best, best_items = marks[0], set[int]()
    inside: Counter[int] = Counter()  # items of the marks in the passage, counted
    end = 0
    for anchor in marks:
        while end < len(marks) and marks[end].start < anchor.start + _REACH:
            inside[marks[end].item] += 1
            end += 1
        if len(inside) > len(best_items):
            best, best_items = anchor, set(inside)
        inside[anchor.item] -= 1
        if not inside[anchor.item]:
            del inside[anchor.item]
    return best, best_items


_SPACE = re.compile(r"\s")


def _word_start(text: str, at: int) -> int:
    """The start of the first word at or after `at`."""
    match = _SPACE.search(text, at)
    return match.end() if match and match.end() < len(text) else at


def _render(text: str, start: int, marks: list[_Mark]) -> str:
    end = start + SNIPPET_CHARS
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    else:
        end = len(text)
    out = ["…" if start > 0 else ""]
    position = start
    for mark in marks:
        if mark.start >= end:
            break
        out.append(html.escape(text[position : mark.start]))
        out.append(f"<mark>{html.escape(text[mark.start : mark.end])}</mark>")
        position = mark.end
    out.append(html.escape(text[position:end]) if position < end else "")
    if end < len(text):
        out.append("…")
    return "".join(out).strip()
