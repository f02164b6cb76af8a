"""Search results on the wire: list items (as in the feed) plus how well they matched."""

from pydantic import BaseModel, Field

from app.articles.schemas import ArticleListItem
from app.core.schemas import PageMeta


class SearchHit(ArticleListItem):
    rank: float = Field(
        description=(
            "Where the best match is, higher first: 2 title, 1 excerpt, 0 body only. "
            "Hits of equal rank come newest first."
        ),
        examples=[2.0],
    )


HIT_FIELDS = ("rank",)  # a hit's fields beyond a list item's


class SearchResults(BaseModel):
    data: list[SearchHit]
    meta: PageMeta
