"""Pages of at most 100: `{"next": url|null, "previous": url|null, "results": [...]}`.

`page` (from 1) and `page_size` (1 to 100, default 50); a value that is not a whole number in
range is a 400, a page past the last one a 404."""

from django.core.paginator import Paginator
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.utils.urls import remove_query_param, replace_query_param

from referrals.api.fields import query_of

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000


class PageQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, required=False, default=1)
    page_size = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE_SIZE, required=False, default=DEFAULT_PAGE_SIZE
    )


class Page:
    def __init__(self, request, items, *, page: int, page_size: int):
        paginator = Paginator(items, page_size)
        # An empty list still has its first page; past the last page there is nothing.
        if page > max(paginator.num_pages, 1):
            raise NotFound("There is no such page.")
        self._page = paginator.page(page) if paginator.count else None
        self.items = list(self._page.object_list) if self._page else []
        self.request = request

    def _url(self, number: int | None) -> str | None:
        if number is None:
            return None
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, "page")
        return replace_query_param(url, "page", number)

    def envelope(self, results: list) -> dict:
        page = self._page
        return {
            "next": self._url(page.next_page_number()) if page and page.has_next() else None,
            "previous": (
                self._url(page.previous_page_number()) if page and page.has_previous() else None
            ),
            "results": results,
        }


def page_of(request, items) -> Page:
    return Page(request, items, **query_of(PageQuery, request).validated_data)
