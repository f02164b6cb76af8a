"""The filters every public listing of articles takes (the feed and search)."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

from app.articles.repository import FeedFilter
from app.core.deps import LangDep, ReadSessionDep
from app.core.schemas import Slug
from app.models import ArticleType
from app.taxonomy.service import SOURCES, TAGS, id_of


@dataclass(frozen=True)
class ListingFilter:
    where: FeedFilter
    scope: dict[str, Any]  # what a cursor is bound to: it works only under the same filters


def listing_filter(
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
) -> ListingFilter:
    """Unknown tag or source slugs are a 404."""
    where = FeedFilter(
        tag_id=id_of(session, TAGS, tag) if tag else None,
        source_id=id_of(session, SOURCES, source) if source else None,
        only_lang=lang if only_translated else None,
        type=type,
    )
    scope = {"tag": tag, "source": source, "only": where.only_lang}
    if type is not ArticleType.ARTICLE:  # cursors made before pages existed stay valid
        scope["type"] = type.value
    return ListingFilter(where, scope)


ListingFilterDep = Annotated[ListingFilter, Depends(listing_filter)]
