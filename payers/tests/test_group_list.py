"""Usługi prywatne > Cennik ogólny: the groups, a group's services, adding, editing and removing a group."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEvent
from payers.models import ServiceGroup
from payers.tests.factories import PayerServiceFactory, ServiceFactory, ServiceGroupFactory

pytestmark = pytest.mark.django_db


def test_the_menu_leads_administrators_to_the_price_list_and_its_groups(client_for, alice):
    group = ServiceGroupFactory(name="Diagnostyka obrazowa – USG")
    ServiceFactory(group=group, name="USG jamy brzusznej", price=Decimal("1234.50"))
    ServiceFactory(group=group, name="USG tarczycy", active=False)
    client = client_for(alice)
    home = client.get(reverse("home")).text
    assert "Usługi prywatne" in home and "Cennik ogólny" in home and "Płatnicy" in home
    page = client.get(reverse("payers:group_list")).text
    assert "Usługi prywatne › Cennik ogólny" in page and "Diagnostyka obrazowa – USG" in page
    detail = client.get(reverse("payers:group_detail", args=[group.pk])).text
    assert "USG jamy brzusznej" in detail and "1\xa0234,50\xa0zł" in detail
    assert "Dodaj usługę" in detail and "Zmień ceny" in detail


def test_a_group_detail_shows_how_many_payer_lists_hold_each_service(client_for, alice):
    service = ServiceFactory(name="Konsultacja kardiologiczna", price=Decimal("250.00"))
    PayerServiceFactory.create_batch(2, service=service)
    page = client_for(alice).get(reverse("payers:group_detail", args=[service.group_id])).text
    assert "Nadpisana w cennikach płatników" in page
    assert re.search(
        r"Konsultacja kardiologiczna</a></td>\s*<td[^>]*>250,00\xa0zł</td>\s*<td>Tak</td>\s*<td>2</td>", page
    )


def test_a_group_is_added_and_edited(client_for, alice):
    client = client_for(alice)
    response = client.post(reverse("payers:group_edit"), {"name": "Szczepienia", "position": "70"}, follow=True)
    group = ServiceGroup.objects.get()
    assert response.redirect_chain[-1][0] == reverse("payers:group_detail", args=[group.pk])
    assert "Zapisano grupę cennika „Szczepienia”." in response.text
    client.post(reverse("payers:group_edit", args=[group.pk]), {"name": "Szczepienia ochronne", "position": "70"})
    assert ServiceGroup.objects.get().name == "Szczepienia ochronne"
    assert AuditEvent.objects.filter(action__startswith="service_group_").count() == 2


def test_a_duplicate_group_name_is_refused_in_polish(client_for, alice):
    ServiceGroupFactory(name="Szczepienia")
    response = client_for(alice).post(reverse("payers:group_edit"), {"name": "Szczepienia", "position": "1"})
    assert response.status_code == 200 and "Cennik ma już grupę o tej nazwie." in response.text
    assert ServiceGroup.objects.count() == 1


def test_a_group_with_services_is_not_removed(client_for, alice):
    service = ServiceFactory()
    client = client_for(alice)
    url = reverse("payers:group_remove", args=[service.group_id])
    assert "Grupa nie jest pusta" in client.get(url).text
    response = client.post(url, follow=True)
    assert "zawiera usługi" in response.text and ServiceGroup.objects.exists()
    empty = ServiceGroupFactory(name="Pusta")
    client.post(reverse("payers:group_remove", args=[empty.pk]))
    assert not ServiceGroup.objects.filter(pk=empty.pk).exists()


def test_other_roles_see_neither_the_menu_entry_nor_the_pages(client_for, bob, carol, dave):
    group = ServiceGroupFactory()
    for user in (bob, carol, dave):
        client = client_for(user)
        assert "Cennik ogólny" not in client.get(reverse("home")).text, user
        assert client.get(reverse("payers:group_list")).status_code == 403, user
        assert client.get(reverse("payers:group_detail", args=[group.pk])).status_code == 403, user
        assert client.post(reverse("payers:group_edit"), {"name": "X", "position": "1"}).status_code == 403, user
    assert ServiceGroup.objects.count() == 1
