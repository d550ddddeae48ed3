from rest_framework.pagination import CursorPagination


class NewestFirst(CursorPagination):
    """`{"results": [...], "next": ...}`, newest first; a cursor stays stable as new rows arrive."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
