"""The patient site in a real browser: a patient finds the doctor and sees his timetable of free slots."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_patient_finds_a_doctor_and_sees_his_timetable(published, page):
    page.goto("/lbk/")
    page.get_by_label("Specjalizacja").select_option(label="Kardiologia")
    page.get_by_role("button", name="Szukaj").click()
    page.get_by_role("link", name="lek. Anna Kowalska").click()
    page.wait_for_url("**/lbk/lekarz/7350012345/d1/")
    assert page.get_by_role("heading", name="lek. Anna Kowalska").is_visible()
    day = page.locator(".day").filter(has_text=published.strftime("%d.%m.%Y"))
    assert day.locator("time").all_inner_texts() == ["09:00", "09:20", "09:40"]
