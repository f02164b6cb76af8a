"""What search's word analysis costs: words/s of the Ukrainian lemmatizer (pymorphy3)
uncached, with its cache cold and warm, of the English stemmer, and what lemmatizing adds
to an import's prepare stage per article (app.imports.service.check, the step a pipeline
runs on one thread while the database writes on another).

    .venv/bin/python bench/analysis.py [--rounds 3]

Text: ../shared/data/ntrex-en-uk.jsonl (123 articles, English with Ukrainian translations).
CPU time of this process (time.process_time), so a busy machine skews it less.
"""

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson

from app.imports import service
from app.imports.parsing import RawLine, decode
from app.search import analysis

# ../shared/data beside the checkout (the nearest one up the tree).
DATA = next(
    parent / "shared" / "data" / "ntrex-en-uk.jsonl"
    for parent in Path(__file__).resolve().parents
    if (parent / "shared" / "data").is_dir()
)


def _cpu(action: Callable[[], object]) -> float:
    started = time.process_time()
    action()
    return time.process_time() - started


def _lines(docs: list[dict[str, dict[str, str]]]) -> list[RawLine]:
    lines = []
    for n, doc in enumerate(docs):
        line = {
            "external_id": f"ntrex-{n}",
            "original_lang": "en",
            "status": "published",
            "translations": [
                {
                    "lang": lang,
                    "title": doc[lang]["title"],
                    "body": "".join(f"<p>{p}</p>" for p in doc[lang]["body"].split("\n")),
                }
                for lang in ("en", "uk")
            ],
        }
        raw = decode(n + 1, orjson.dumps(line))
        assert isinstance(raw, RawLine)
        lines.append(raw)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    docs = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    uk = [w for d in docs for w in analysis.words(d["uk"]["title"] + "\n" + d["uk"]["body"])]
    en = [w for d in docs for w in analysis.words(d["en"]["title"] + "\n" + d["en"]["body"])]
    analysis.warm()
    uncached = analysis.ukrainian.compute
    print(f"{len(uk):,} Ukrainian words ({len(set(uk)):,} distinct), {len(en):,} English")

    def rate(words: list[str], seconds: float) -> str:
        return f"{len(words) / seconds:>12,.0f} words/s"

    for _ in range(args.rounds):
        plain = _cpu(lambda: [uncached(w) for w in uk])
        analysis.ukrainian.cache_clear()
        cold = _cpu(lambda: [analysis.ukrainian(w) for w in uk])
        warm = _cpu(lambda: [analysis.ukrainian(w) for w in uk])
        analysis.english.cache_clear()
        stems = _cpu(lambda: [analysis.english.compute(w) for w in en])
        print(
            f"uk uncached {rate(uk, plain)} | cache cold {rate(uk, cold)} | "
            f"cache warm {rate(uk, warm)} | en stems uncached {rate(en, stems)}"
        )

    lines = _lines(docs)
    real = getattr(service, "index_columns")  # noqa: B009 (swapped below)
    for _ in range(args.rounds):
        analysis.ukrainian.cache_clear()
        analysis.english.cache_clear()
        cold = _cpu(lambda: [service.check(line) for line in lines])
        warm = _cpu(lambda: [service.check(line) for line in lines])
        setattr(service, "index_columns", lambda *_: {})  # noqa: B010
        try:
            without = _cpu(lambda: [service.check(line) for line in lines])
        finally:
            setattr(service, "index_columns", real)  # noqa: B010
        per = 1000 / len(lines)
        print(
            f"prepare (check) per article, 2 translations: without lemmas {without * per:.2f} ms"
            f" | with, cache cold {cold * per:.2f} ms | with, cache warm {warm * per:.2f} ms"
        )


if __name__ == "__main__":
    main()
