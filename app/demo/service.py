"""Loading the demo content. Idempotent: what is already there is left alone."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.articles import editing
from app.articles.repository import external_id_owner
from app.demo import content
from app.models import Author, Source, Tag
from app.taxonomy import service as taxonomy
from app.taxonomy.service import AUTHORS, SOURCES, TAGS


@dataclass(frozen=True)
class DemoReport:
    created: int
    skipped: int


def load_demo(session: Session) -> DemoReport:
    for tag in content.TAGS:
        if session.scalar(select(Tag.id).where(Tag.slug == tag.slug)) is None:
            taxonomy.create(session, TAGS, tag)
    for source in content.SOURCES:
        if session.scalar(select(Source.id).where(Source.slug == source.slug)) is None:
            taxonomy.create(session, SOURCES, source)
    for author in content.AUTHORS:
        if session.scalar(select(Author.id).where(Author.slug == author.slug)) is None:
            taxonomy.create(session, AUTHORS, author)
    created = 0
    for article in content.ARTICLES:
        assert article.external_id is not None
        if external_id_owner(session, article.external_id) is None:
            editing.create_article(session, article)
            created += 1
    return DemoReport(created=created, skipped=len(content.ARTICLES) - created)
