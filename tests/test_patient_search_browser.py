"""Searching for a patient by PESEL leaves the PESEL in no URL and no log line: Pacjenci > Lista (its results paged
through too) and the calendar's "Znajdź pacjenta", driven in Chromium through the ASGI server with its access log
on, as a proxy or uvicorn in front of the product would write it."""

import logging
from datetime import date

import pytest
from playwright.sync_api import expect

from conftest import browser_login
from patients.tests.factories import PatientFactory
from scheduling.tests.factories import ScheduleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BIRTH_DATE = date(1987, 3, 14)  # every PESEL below begins with 870314


@pytest.fixture
def logged(caplog):
    """Every log record of the test: the application's, Django's request log and uvicorn's access log, which the
    server fixture runs at WARNING and which does not propagate to the root logger."""
    access = logging.getLogger("uvicorn.access")
    level = access.level
    access.setLevel(logging.INFO)
    access.addHandler(caplog.handler)
    caplog.set_level(logging.INFO)  # the root level the product logs at (LOG_LEVEL)
    yield caplog
    access.removeHandler(caplog.handler)
    access.setLevel(level)


def test_a_pesel_searched_for_reaches_no_url_and_no_log(asgi_page, bob, logged):
    ScheduleFactory(employee__last_name="Nowak")
    wanted = PatientFactory(last_name="Szukana", first_name="Zofia", sex="K", birth_date=BIRTH_DATE)
    PatientFactory.create_batch(29, birth_date=BIRTH_DATE)
    prefix = wanted.pesel[:6]
    page = asgi_page
    requests = []
    page.on("request", lambda request: requests.append((request.method, request.url, request.post_data or "")))
    browser_login(page, bob)

    page.goto("/pacjenci/")
    page.get_by_label("Szukaj").fill(wanted.pesel)
    expect(page.locator("#patient-rows")).to_contain_text("Szukana Zofia")
    expect(page.locator("#patient-rows tbody tr")).to_have_count(1)
    page.get_by_label("Szukaj").fill(prefix)
    expect(page.locator("#patient-rows")).to_contain_text("Strona 1 z 2 (30 pacjentów)")
    page.get_by_text("Następna ›").click()
    expect(page.locator("#patient-rows")).to_contain_text("Strona 2 z 2 (30 pacjentów)")
    assert prefix not in page.url and wanted.pesel not in page.url

    page.goto("/kalendarz/?date=2027-03-01")
    page.locator(".block.free", has_text="08:20–08:40").click()
    page.locator("#booking-search").fill(wanted.pesel)
    page.locator("#booking-search").press("Enter")
    expect(page.locator(".patient-result", has_text="Szukana Zofia").get_by_role("radio")).to_be_checked()

    # The searches were made, as POSTs that carried the PESEL in their bodies …
    searches = [(method, url) for method, url, body in requests if wanted.pesel in body or prefix in body]
    assert {(method, url.split("/", 3)[3]) for method, url in searches} == {
        ("POST", "pacjenci/"),
        ("POST", "kalendarz/umow/pacjenci/"),
    }
    # … and the access log wrote them down, but neither it nor any URL holds what was typed.
    assert '"POST /pacjenci/ HTTP/1.1" 200' in logged.text
    assert '"POST /kalendarz/umow/pacjenci/ HTTP/1.1" 200' in logged.text
    assert [url for _method, url, _body in requests if prefix in url] == []
    assert prefix not in logged.text
