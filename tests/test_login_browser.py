import pytest

from conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_administrator_logs_in_with_password_and_code_and_finds_the_login_audited(page, alice):
    browser_login(page, alice)
    assert page.get_by_role("heading", name="Dzień dobry, Alicja").is_visible()
    page.get_by_role("button", name="Dane").hover()
    page.get_by_role("navigation").get_by_role("link", name="Audyty").click()
    page.wait_for_url("**/dane/audyty/")
    row = page.get_by_role("row").filter(has_text="Zalogowano do systemu")
    assert row.count() == 1
    assert "Alicja Administratorska (alice)" in row.inner_text()

    page.get_by_role("button", name="Wyloguj").click()
    page.wait_for_url("**/logowanie/")
    assert page.get_by_role("heading", name="Logowanie").is_visible()


def test_doctor_sees_no_audit_menu_and_is_refused_the_page(page, carol):
    browser_login(page, carol)
    assert page.get_by_role("button", name="Dane").count() == 0
    response = page.goto("/dane/audyty/")
    assert response.status == 403
    assert page.get_by_role("heading", name="Brak dostępu").is_visible()
