"""A deterministic benchmark dataset: N articles as NDJSON lines in the import format.

The same (seed, N, corpus) always gives the same bytes. Text comes from the real bilingual
news in ../shared/data/ntrex-en-uk.jsonl, read at run time (never stored in the repo):
aligned uk/en sentences are recombined into titles, excerpts and bodies, so a translated
article's versions are real translations of each other.

Shape (issue 5): ~60% of articles in uk and en (the rest uk or en only), 500 tags and 200
sources with skewed popularity, 1-4 tags and 0-3 citations (some `via` an earlier one) per
article, 5% drafts or scheduled, published_at over 2019-2026 at minute precision with some
equal timestamps. Lines are produced one at a time: memory stays flat for any N.

    python -m bench.dataset --articles 100000 --out /tmp/articles.ndjson
"""

import argparse
import html
import itertools
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from app.core.slugs import slugify_title

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ntrex-en-uk.jsonl"
TAGS = 500
SOURCES = 200
SOURCE_KINDS = ["news_agency", "newspaper", "broadcaster", "think_tank", "government", "blog"]
START = datetime(2019, 1, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)
# Scheduled articles are published in the far future so "not yet public" never expires.
SCHEDULED_FROM = datetime(2099, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Corpus:
    """Aligned sentences (uk[i] translates en[i]) and aligned headlines."""

    uk: list[str]
    en: list[str]
    uk_titles: list[str]
    en_titles: list[str]

    @classmethod
    def load(cls, path: Path = DEFAULT_CORPUS) -> "Corpus":
        if not path.is_file():
            raise SystemExit(f"corpus not found: {path} (the shared data directory)")
        uk: list[str] = []
        en: list[str] = []
        uk_titles: list[str] = []
        en_titles: list[str] = []
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                doc = orjson.loads(line)
                uk_lines = [s.strip() for s in doc["uk"]["body"].split("\n")]
                en_lines = [s.strip() for s in doc["en"]["body"].split("\n")]
                for uk_line, en_line in zip(uk_lines, en_lines, strict=False):
                    if uk_line and en_line:
                        uk.append(uk_line)
                        en.append(en_line)
                uk_titles.append(doc["uk"]["title"].strip())
                en_titles.append(doc["en"]["title"].strip())
        return cls(uk=uk, en=en, uk_titles=uk_titles, en_titles=en_titles)


def _clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at a word boundary."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—-") + "…"


def _zipf_cum_weights(n: int, exponent: float) -> list[float]:
    return list(itertools.accumulate(1.0 / (k + 1) ** exponent for k in range(n)))


class Dataset:
    """Article lines for one (seed, size). Iterate `lines()` once; it is a generator."""

    def __init__(
        self, corpus: Corpus, *, articles: int, seed: int = 1, generated_slugs: float = 0.0
    ) -> None:
        self.corpus = corpus
        self.articles = articles
        self.seed = seed
        self.generated_slugs = generated_slugs
        setup = random.Random(f"dopys-bench-taxonomy-{seed}")
        self.tags = [self._tag(setup, k) for k in range(TAGS)]
        self.sources = [self._source(setup, k) for k in range(SOURCES)]
        self._tag_weights = _zipf_cum_weights(TAGS, 0.9)
        self._source_weights = _zipf_cum_weights(SOURCES, 0.8)

    # ---- taxonomy --------------------------------------------------------------

    def _words(self, rng: random.Random) -> tuple[str, str]:
        """A (uk, en) pair of capitalised words from one aligned sentence pair."""
        i = rng.randrange(len(self.corpus.uk))

        def word(sentence: str) -> str:
            words = [w.strip("«»\"'.,:;!?()") for w in sentence.split()]
            long = [w for w in words if len(w) >= 5 and w.isalpha()] or ["Новини"]
            return rng.choice(long).capitalize()

        return word(self.corpus.uk[i]), word(self.corpus.en[i])

    def _tag(self, rng: random.Random, k: int) -> dict[str, Any]:
        uk, en = self._words(rng)
        return {
            "slug": f"{slugify_title(en, 40)}-{k}",
            "names": {"uk": f"{uk} {k}", "en": f"{en} {k}"},
        }

    def _source(self, rng: random.Random, k: int) -> dict[str, Any]:
        uk, en = self._words(rng)
        slug = f"{slugify_title(en, 40)}-press-{k}"
        return {
            "slug": slug,
            "names": {"uk": f"{uk} Прес {k}", "en": f"{en} Press {k}"},
            "kind": SOURCE_KINDS[k % len(SOURCE_KINDS)],
            "homepage_url": f"https://{slug}.example.org/",
        }

    # ---- articles --------------------------------------------------------------

    def lines(self) -> Iterator[bytes]:
        """One NDJSON line (with its newline) per article, in a stable order."""
        rng = random.Random(f"dopys-bench-articles-{self.seed}")
        tags_seen: set[int] = set()
        sources_seen: set[int] = set()
        span_minutes = int((END - START).total_seconds() // 60)
        previous_at = START
        for i in range(self.articles):
            # Mostly chronological (as an archive export is), jittered, minute precision;
            # 8% share the previous article's timestamp (a batch published at once).
            if i and rng.random() < 0.08:
                published_at = previous_at
            else:
                minute = int(span_minutes * i / self.articles) + rng.randint(-4320, 4320)
                published_at = START + timedelta(minutes=min(max(minute, 0), span_minutes))
            previous_at = published_at
            article = self._article(rng, i, published_at, tags_seen, sources_seen)
            yield orjson.dumps(article) + b"\n"

    def _article(
        self,
        rng: random.Random,
        i: int,
        published_at: datetime,
        tags_seen: set[int],
        sources_seen: set[int],
    ) -> dict[str, Any]:
        roll = rng.random()
        langs = ["uk", "en"] if roll < 0.6 else ["uk"] if roll < 0.9 else ["en"]
        original = langs[0] if len(langs) == 1 or rng.random() < 0.7 else langs[1]
        state = rng.random()
        status = "published"
        when: datetime | None = published_at
        if state < 0.025:
            status, when = "draft", None if rng.random() < 0.5 else published_at
        elif state < 0.05:
            when = SCHEDULED_FROM + timedelta(minutes=rng.randrange(10**6))
        citations = self._citations(rng, published_at, sources_seen)
        return {
            "external_id": f"bench-{i:08d}",
            "original_lang": original,
            "status": status,
            "published_at": when.isoformat().replace("+00:00", "Z") if when else None,
            "cover_image_url": (
                f"https://cdn.example.org/images/{i}.jpg" if rng.random() < 0.7 else None
            ),
            "tags": self._tags(rng, tags_seen),
            "citations": citations,
            "translations": self._translations(rng, i, langs, citations),
        }

    def _tags(self, rng: random.Random, seen: set[int]) -> list[Any]:
        picked = rng.choices(range(TAGS), cum_weights=self._tag_weights, k=rng.randint(1, 4))
        # A tag is described in full the first time it appears, by slug after that.
        out: list[Any] = []
        for k in dict.fromkeys(picked):
            out.append(self.tags[k]["slug"] if k in seen else self.tags[k])
            seen.add(k)
        return out

    def _citations(
        self, rng: random.Random, published_at: datetime, seen: set[int]
    ) -> list[dict[str, Any]]:
        count = rng.choices((0, 1, 2, 3), weights=(25, 35, 25, 15))[0]
        picked = rng.choices(range(SOURCES), cum_weights=self._source_weights, k=count)
        out: list[dict[str, Any]] = []
        for index, k in enumerate(picked):
            source = self.sources[k]
            path = f"{published_at:%Y/%m}/{rng.randrange(10**6)}"
            out.append(
                {
                    "source": source["slug"] if k in seen else source,
                    "url": f"{source['homepage_url']}{path}" if rng.random() < 0.9 else None,
                    "via": rng.randrange(index) if index and rng.random() < 0.3 else None,
                }
            )
            seen.add(k)
        return out

    def _translations(
        self, rng: random.Random, i: int, langs: list[str], citations: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        corpus = self.corpus
        if rng.random() < 0.3:
            t = rng.randrange(len(corpus.uk_titles))
            titles = {"uk": corpus.uk_titles[t], "en": corpus.en_titles[t]}
        else:
            s = rng.randrange(len(corpus.uk))
            titles = {"uk": corpus.uk[s], "en": corpus.en[s]}
        titles = {
            lang: _clip(title.rstrip("."), rng.randint(60, 110)) for lang, title in titles.items()
        }
        # Paragraphs of consecutive sentences from random places: ~2,000 characters a body.
        paragraphs = []
        for _ in range(rng.randint(4, 8)):
            start = rng.randrange(len(corpus.uk))
            paragraphs.append(range(start, min(start + rng.randint(1, 4), len(corpus.uk))))
        quote = rng.randrange(len(paragraphs)) if rng.random() < 0.2 else None
        link = next((c["url"] for c in citations if c["url"]), None)
        explicit_slug = rng.random() >= self.generated_slugs
        out = []
        for lang in langs:
            sentences = corpus.uk if lang == "uk" else corpus.en
            body = []
            for n, paragraph in enumerate(paragraphs):
                text = html.escape(" ".join(sentences[s] for s in paragraph), quote=False)
                if n == 0 and link:
                    label = "Джерело" if lang == "uk" else "Source"
                    text += f' <a href="{html.escape(link)}">{label}</a>'
                body.append(
                    f"<blockquote><p>{text}</p></blockquote>" if n == quote else f"<p>{text}</p>"
                )
            title = titles[lang]
            out.append(
                {
                    "lang": lang,
                    "title": title,
                    # A unique slug, as a CMS export (or ours) carries; `generated_slugs` of
                    # the articles leave it to the importer to make from the title.
                    "slug": f"{slugify_title(title, 60)}-{i:x}" if explicit_slug else None,
                    "excerpt": _clip(sentences[paragraphs[0][0]], 300),
                    "body": "".join(body),
                }
            )
        return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--generated-slugs", type=float, default=0.0, help="Share of articles without slugs."
    )
    parser.add_argument("--out", type=Path, help="File to write (default: stdout).")
    args = parser.parse_args(argv)
    dataset = Dataset(
        Corpus.load(args.corpus),
        articles=args.articles,
        seed=args.seed,
        generated_slugs=args.generated_slugs,
    )
    out = args.out.open("wb") if args.out else sys.stdout.buffer
    with out:
        out.writelines(dataset.lines())


if __name__ == "__main__":
    main()
