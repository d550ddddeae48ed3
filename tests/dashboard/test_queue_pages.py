"""The queue a page at a time: 50 rows in triage order, where the page is in the whole queue, links
to the pages either side that keep the filters, and polling that stays on the page the nurse is on."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.alerts.models import Alert, Severity, Status
from backend.alerts.services import alert_resolve
from backend.dashboard.triage_queue import QUEUE_PAGE_SIZE
from tests.dashboard.support import POLL, add_alerts, queue, raise_alerts, row_ids, shown_version, text
from tests.factories import EnrolledPatient, Person

pytestmark = pytest.mark.django_db

PAGE = QUEUE_PAGE_SIZE


def ids(alerts: list[Alert]) -> list[str]:
    return [str(a.pk) for a in alerts]


def pager(response: Any) -> dict[str, str]:
    """The queue's Previous and Next links, by their rel."""
    found = re.findall(r'<a class="btn btn--ghost" href="([^"]+)" rel="(prev|next)"', response.content.decode())
    return {rel: html.unescape(href) for href, rel in found}


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def page_shown(response: Any) -> str:
    found = re.search(r'id="queue-page" name="page" value="(\d+)"', response.content.decode())
    assert found, "no page number on the page"
    return found.group(1)


@pytest.fixture
def long_queue(patient: EnrolledPatient) -> list[Alert]:
    """53 open urgent alerts a minute apart, the longest-waiting first: the queue's order."""
    start = timezone.now() - timedelta(days=2)
    return add_alerts(
        patient.patient,
        status=Status.OPEN,
        severity=Severity.URGENT,
        at=start,
        count=PAGE + 3,
        step=timedelta(minutes=1),
    )


def test_the_first_page_shows_50_and_the_second_starts_at_the_51st(
    nurse_browser: Client, long_queue: list[Alert]
) -> None:
    first = queue(nurse_browser)
    assert row_ids(first) == ids(long_queue[:PAGE])
    assert "Showing 1–50 of 53" in text(first)
    assert pager(first) == {"next": "/?status=unresolved&page=2"}
    second = nurse_browser.get(pager(first)["next"])
    assert row_ids(second) == ids(long_queue[PAGE:])
    assert "Showing 51–53 of 53" in text(second)
    assert pager(second) == {"prev": "/?status=unresolved"}
    body = second.content.decode()
    assert '<nav class="pager queue-pager" aria-label="Queue pages">' in body
    assert '<table class="table queue-list" aria-describedby="queue-range">' in body and 'id="queue-range"' in body
    assert "Showing the first" not in body  # the old cut-off notice is gone


def test_the_page_links_keep_the_filters(nurse_browser: Client, long_queue: list[Alert]) -> None:
    filters = {"status": "open", "severity": "urgent", "kind": "thrombocytopenia", "patient": "Pat"}
    first = queue(nurse_browser, **filters)
    assert row_ids(first) == ids(long_queue[:PAGE])
    assert set(pager(first)) == {"next"}
    assert query(pager(first)["next"]) == {**{k: [v] for k, v in filters.items()}, "page": ["2"]}
    second = nurse_browser.get(pager(first)["next"])
    assert row_ids(second) == ids(long_queue[PAGE:])
    assert set(pager(second)) == {"prev"}
    assert query(pager(second)["prev"]) == {k: [v] for k, v in filters.items()}


@pytest.mark.parametrize(
    "filters",
    [{}, {"status": "open"}, {"status": "open", "severity": "urgent"}],
    ids=["unresolved", "open", "open-urgent"],
)
def test_a_page_says_of_how_many_when_the_header_counts_cover_the_filters(
    nurse_browser: Client, long_queue: list[Alert], filters: dict[str, str]
) -> None:
    assert "Showing 1–50 of 53" in text(queue(nurse_browser, **filters))


@pytest.mark.parametrize(
    "filters",
    [{"kind": "thrombocytopenia"}, {"patient": "pat"}, {"severity": "urgent"}],
    ids=["kind", "patient", "unresolved-urgent"],
)
def test_other_filters_are_not_counted_until_their_last_page(
    nurse_browser: Client, long_queue: list[Alert], filters: dict[str, str]
) -> None:
    """Counting them would cost a query of up to 17 ms on 50,000 alerts: the page says where it is
    and offers the next one, and the last page, whose end is known, says the total."""
    first = queue(nurse_browser, **filters)
    assert "Showing 1–50 Next" in text(first) and "Showing 1–50 of" not in text(first)
    assert "Showing 51–53 of 53" in text(nurse_browser.get(pager(first)["next"]))


def test_no_filter_or_page_costs_a_count_of_its_own(
    nurse_browser: Client, nurse: Person, long_queue: list[Alert]
) -> None:
    def queries(url: str) -> list[str]:
        nurse_browser.get(url)  # warm: a session renewal is not what is measured
        with CaptureQueriesContext(connection) as ctx:
            assert nurse_browser.get(url).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    plain = queries("/")
    # On PostgreSQL the default page's read audit is written by its own statement: one fewer there.
    audit_apart = 1 if connection.vendor == "postgresql" else 0
    for url in ("/?page=2", "/?kind=thrombocytopenia&page=2", "/?severity=urgent", "/?patient=pat&page=2"):
        costs = queries(url)
        assert len(costs) == len(plain) + audit_apart, url
        counts = sum("COUNT(" in sql.upper() or '"alerts_alerttally"' in sql for sql in costs)
        assert counts == 1, url  # the header's counts only (the tally's sum on PostgreSQL)


def test_big_numbers_are_grouped(nurse_browser: Client, patient: EnrolledPatient, long_queue: list[Alert]) -> None:
    add_alerts(patient.patient, status=Status.ACKNOWLEDGED, severity=Severity.URGENT, at=timezone.now(), count=1000)
    page = text(queue(nurse_browser))
    assert "Showing 1–50 of 1,053" in page and "1,000 acknowledged" in page


def test_the_polling_stays_on_the_page_the_nurse_is_on(
    nurse_browser: Client, nurse: Person, long_queue: list[Alert]
) -> None:
    page = nurse_browser.get("/?status=unresolved&page=2")
    assert page_shown(page) == "2"
    assert 'hx-include="#queue-filters, #queue-version, #queue-page"' in page.content.decode()
    # What #queue-poll sends: the filter form's fields, then the version and the page on screen.
    poll = {"status": "unresolved", "severity": "", "kind": "", "patient": "", "v": shown_version(page), "page": "2"}
    unchanged = nurse_browser.get("/", poll, **POLL)
    assert unchanged.status_code == 204 and unchanged.content == b""
    alert_resolve(user=nurse.user, alert_id=long_queue[0].pk, note="Called.")  # page 1 loses a row
    update = nurse_browser.get("/", poll, **POLL)
    assert update.status_code == 200 and "<html" not in update.content.decode()
    assert row_ids(update) == ids(long_queue[PAGE + 1 :])  # page 2 moved up by one
    assert page_shown(update) == "2" and "Showing 51–52 of 52" in text(update)
    poll["v"] = shown_version(update)
    assert nurse_browser.get("/", poll, **POLL).status_code == 204


def test_a_new_alert_still_appears_live_on_the_first_page(
    nurse_browser: Client, patient: EnrolledPatient, long_queue: list[Alert]
) -> None:
    version = shown_version(queue(nurse_browser))
    (new,) = raise_alerts(patient, [20])  # grade 4: critical, ahead of every urgent alert
    update = nurse_browser.get("/", {"status": "unresolved", "v": version, "page": "1"}, **POLL)
    assert update.status_code == 200
    assert row_ids(update) == [str(new.pk), *ids(long_queue[: PAGE - 1])]
    assert f'id="alert-{new.pk}" class="row row--critical row--open is-new"' in update.content.decode()
    assert "Showing 1–50 of 54" in text(update) and "1 new alert: critical" in text(update)


def test_a_page_past_the_end_shows_the_last_page_or_the_first(nurse_browser: Client, long_queue: list[Alert]) -> None:
    """Its alerts were resolved meanwhile, or the address was typed: the nurse still sees a queue."""
    beyond = nurse_browser.get("/?page=9")
    assert row_ids(beyond) == ids(long_queue[PAGE:]) and page_shown(beyond) == "2"
    assert row_ids(nurse_browser.get("/?page=" + "9" * 30)) == ids(long_queue[PAGE:])
    uncounted = nurse_browser.get("/?kind=thrombocytopenia&page=9")  # no total to find the last page by
    assert row_ids(uncounted) == ids(long_queue[:PAGE]) and page_shown(uncounted) == "1"
    for nonsense in ("0", "-3", "two", "9" * 5000):
        response = nurse_browser.get("/", {"page": nonsense})
        assert response.status_code == 200 and row_ids(response) == ids(long_queue[:PAGE]), nonsense[:10]


def test_resolved_alerts_page_newest_first(nurse_browser: Client, patient: EnrolledPatient) -> None:
    resolved = add_alerts(
        patient.patient,
        status=Status.RESOLVED,
        severity=Severity.URGENT,
        at=timezone.now() - timedelta(days=1),
        count=PAGE + 2,
        step=timedelta(minutes=1),
    )
    newest_first = ids(resolved[::-1])
    first = queue(nurse_browser, status="resolved")
    assert row_ids(first) == newest_first[:PAGE]
    second = nurse_browser.get(pager(first)["next"])
    assert row_ids(second) == newest_first[PAGE:] and "Showing 51–52 of 52" in text(second)
