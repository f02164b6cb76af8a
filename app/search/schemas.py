"""Search results on the wire: list items (as in the feed) plus how well they matched."""

from pydantic import BaseModel, Field

from app.articles.schemas import ArticleListItem
from app.core.schemas import PageMeta


class SearchHit(ArticleListItem):
    rank: float = Field(
        description=(
            "Relevance, higher first. The integer part says where the best match is "
            "(2 title, 1 excerpt, 0 body only); the fraction orders matches within that. "
            "Comparable within one result list only."
        ),
        examples=[2.37],
    )


HIT_FIELDS = ("rank",)  # a hit's fields beyond a list item's


class SearchResults(BaseModel):
    data: list[SearchHit]
    meta: PageMeta
