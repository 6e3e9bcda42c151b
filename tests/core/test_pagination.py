"""The slices of long lists on pages: which slice a request asks for, whether more follow,
and the next slice's address keeping the page's other parameters."""

from django.test import RequestFactory

from pacesetter.core.pagination import MAX_SLICE, slice_of

ROWS = list(range(25, 0, -1))  # newest first


def _fetch(offset: int, limit: int) -> list[int]:
    return ROWS[offset : offset + limit]


def test_the_first_slice_and_the_next_ones_address():
    request = RequestFactory().get("/", {"sort": "name", "dir": "desc"})
    shown = slice_of(request, _fetch, param="reports", size=10)
    assert shown.items == ROWS[:10] and shown.number == 1 and shown.has_next
    assert shown.next_query == "sort=name&dir=desc&reports=2"


def test_the_last_slice_has_no_next():
    request = RequestFactory().get("/", {"reports": "3"})
    shown = slice_of(request, _fetch, param="reports", size=10)
    assert shown.items == ROWS[20:] and not shown.has_next and shown.next_query == "reports=4"


def test_a_slice_number_that_is_not_one_is_bounded():
    for asked, number in (("x", 1), ("-4", 1), ("0", 1), (str(10**12), MAX_SLICE)):
        request = RequestFactory().get("/", {"reports": asked})
        assert slice_of(request, _fetch, param="reports", size=10).number == number
