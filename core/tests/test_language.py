import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_polish_whatever_the_browser_prefers(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="pl">' in response.text and "Zaloguj" in response.text


def test_the_switch_sets_english_and_back(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get(reverse("login")).text
    client.post(reverse("set_language"), {"language": "pl"})
    assert '<html lang="pl">' in client.get(reverse("login")).text


def test_unknown_language_cookie_falls_back_to_polish(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert '<html lang="pl">' in client.get(reverse("login")).text


def test_a_chosen_language_ends_with_its_request(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="en">' in client.get(reverse("login")).text
    assert translation.get_language() == settings.LANGUAGE_CODE
