"""The filters every public listing of articles takes (the feed and search)."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

from app.articles.repository import FeedFilter
from app.core import changes
from app.core.deps import LangDep, ReadSessionDep
from app.core.inline import run_read
from app.core.schemas import Slug
from app.models import ArticleType
from app.taxonomy.service import AUTHORS, SOURCES, TAGS, id_of, section_id


@dataclass(frozen=True)
class ListingFilter:
    where: FeedFilter
    scope: dict[str, Any]  # what a cursor is bound to: it works only under the same filters
    depends: frozenset[str]  # what the listing shows (app.core.changes)


async def listing_filter(
    session: ReadSessionDep,
    lang: LangDep,
    tag: Annotated[Slug | None, Query(description="Only articles with this tag.")] = None,
    source: Annotated[Slug | None, Query(description="Only articles citing this source.")] = None,
    only_translated: Annotated[
        bool, Query(description="Drop articles not translated into the response language.")
    ] = False,
    type: Annotated[
        ArticleType, Query(description="`page` lists static pages instead of articles.")
    ] = ArticleType.ARTICLE,
    author: Annotated[Slug | None, Query(description="Only articles by this author.")] = None,
    section: Annotated[
        Slug | None, Query(description="Only articles in this section (a tag of kind `section`).")
    ] = None,
    featured: Annotated[
        bool | None, Query(description="`true`: only top stories; `false`: only the others.")
    ] = None,
) -> ListingFilter:
    """Unknown tag, source, author or section slugs are a 404."""

    def resolve() -> FeedFilter:
        return FeedFilter(
            tag_id=id_of(session, TAGS, tag) if tag else None,
            source_id=id_of(session, SOURCES, source) if source else None,
            only_lang=lang if only_translated else None,
            type=type,
            author_id=id_of(session, AUTHORS, author) if author else None,
            section_id=section_id(session, section) if section else None,
            featured=featured,
        )

    where = await run_read(session, resolve) if tag or source or author or section else resolve()
    scope: dict[str, Any] = {"tag": tag, "source": source, "only": where.only_lang}
    # New filters join the cursor's scope only when used: cursors made before stay valid.
    extra = {
        "type": None if type is ArticleType.ARTICLE else type.value,
        "author": author,
        "section": section,
        "featured": featured,
    }
    scope.update({k: v for k, v in extra.items() if v is not None})
    facets = [("tag", tag), ("source", source), ("author", author), ("tag", section)]
    return ListingFilter(where, scope, changes.listing_keys(type, facets))


ListingFilterDep = Annotated[ListingFilter, Depends(listing_filter)]
