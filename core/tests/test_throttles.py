"""The API's rate limits: a staff member past API_RATE_STAFF is answered 429 with Retry-After and a Polish message,
in every session of his, while others go on; requests without a login are limited per client address, which a
forged X-Forwarded-For does not change."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from conftest import login_verified

pytestmark = pytest.mark.django_db


def rate(scope: str) -> int:
    return int(api_settings.DEFAULT_THROTTLE_RATES[scope].split("/")[0])


def test_a_staff_member_past_the_rate_is_answered_429_in_polish_in_every_session(client_for, alice, bob):
    url = reverse("audit-event-list")
    client = client_for(alice)

    statuses = {client.get(url).status_code for _ in range(rate("staff"))}
    response = client.get(url)

    assert statuses == {200} and response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 60
    assert response.json() == {
        "error": {"code": "throttled", "message": f"Zbyt wiele zapytań w krótkim czasie. Spróbuj ponownie za {wait} s."}
    }
    assert login_verified(Client(), alice).get(url).status_code == 429  # a fresh session is no way round it
    assert login_verified(Client(), bob).get(reverse("appointment-list")).status_code == 200


class Open(APIView):
    """An endpoint open to anyone, as none of the product's is yet."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response({})


def test_requests_without_a_login_are_limited_per_address_whatever_they_claim():
    factory, view = APIRequestFactory(), Open.as_view()

    statuses = [
        view(factory.get("/api/v1/open/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")).status_code
        for n in range(rate("address") + 1)
    ]

    assert statuses == [200] * rate("address") + [429]
