"""Specification of the dashboard's patients list: the nurse's patients, those with critical alerts
first, a page at a time, with a pager that keeps the name searched for."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from backend.audit.models import AuditEvent
from backend.dashboard import patients as patients_module
from backend.patients.models import Patient
from tests.dashboard.support import raise_alerts
from tests.factories import Person, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def five(nurse: Person, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Five patients, two to a page; Eve has a critical alert (platelets 20: grade 4)."""
    monkeypatch.setattr(patients_module, "PATIENTS_PAGE_SIZE", 2)
    names = ["Ann Abel", "Ben Bauer", "Cy Chen", "Dee Diaz", "Eve Evans"]
    made = {name: make_patient(nurse, name=name) for name in names}
    raise_alerts(made["Eve Evans"], [20])
    return names


def shown(client: Client, query: str = "") -> tuple[list[str], str]:
    page = client.get(f"/patients/{query}").content.decode()
    names = [part.split("</a>")[0] for part in page.split('class="patient-link" href="')[1:]]
    return [n.split(">", 1)[1] for n in names], page


def test_the_list_comes_a_page_at_a_time_most_pressing_first(nurse_browser: Client, five: list[str]) -> None:
    names, page = shown(nurse_browser)
    assert names == ["Eve Evans", "Ann Abel"]
    assert "Showing <strong>1–2</strong> of <strong>5</strong>" in page
    assert 'href="?page=2" rel="next"' in page and 'rel="prev"' not in page
    names, page = shown(nurse_browser, "?page=3")
    assert names == ["Dee Diaz"]
    assert "Showing <strong>5–5</strong> of <strong>5</strong>" in page
    assert 'href="?page=2" rel="prev"' in page and 'rel="next"' not in page


@pytest.mark.parametrize(
    ("asked", "page"), [("?page=99", "Dee Diaz"), ("?page=abc", "Eve Evans"), ("?page=0", "Eve Evans")]
)
def test_a_page_past_the_end_is_the_last_and_nonsense_the_first(
    nurse_browser: Client, five: list[str], asked: str, page: str
) -> None:
    assert shown(nurse_browser, asked)[0][0] == page


def test_the_search_is_posted_kept_in_the_session_and_never_in_a_url(nurse_browser: Client, five: list[str]) -> None:
    answer = nurse_browser.post("/patients/search/", {"q": "a"})  # all but Cy Chen
    assert answer.status_code == 302 and answer["Location"] == "/patients/"
    names, page = shown(nurse_browser)
    assert names == ["Eve Evans", "Ann Abel"]
    assert "of <strong>4</strong>" in page and 'href="?page=2" rel="next"' in page
    assert shown(nurse_browser, "?page=2")[0] == ["Ben Bauer", "Dee Diaz"]
    assert "q=" not in page
    nurse_browser.post("/patients/search/", {"q": ""})  # cleared
    assert "of <strong>5</strong>" in shown(nurse_browser)[1]


def test_a_search_keeps_the_status_filter_and_the_sort_in_the_url(nurse_browser: Client, five: list[str]) -> None:
    answer = nurse_browser.post("/patients/search/", {"q": "e", "status": "all", "sort": "-name"})
    assert answer["Location"] == "/patients/?status=all&sort=-name"
    answer = nurse_browser.post("/patients/search/", {"q": "e", "status": "nonsense", "sort": "drop table"})
    assert answer["Location"] == "/patients/"


def test_only_the_patients_shown_are_audited_as_read(nurse_browser: Client, five: list[str]) -> None:
    def reads() -> Counter[object]:
        found = AuditEvent.objects.filter(action="read", resource="patient", detail="dashboard patient list")
        return Counter(found.values_list("patient_id", flat=True))

    before = reads()  # the trail is append-only: count what this page adds
    names, _ = shown(nurse_browser, "?page=2")
    added = reads() - before
    assert sum(added.values()) == 2
    assert sorted(Patient.objects.filter(pk__in=list(added)).values_list("display_name", flat=True)) == sorted(names)


def test_one_page_needs_no_pager(nurse_browser: Client, nurse: Person) -> None:
    make_patient(nurse, name="Solo Sole")
    assert "Showing" not in shown(nurse_browser)[1]
