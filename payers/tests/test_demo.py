import io

import pytest

from core.models import AuditEvent
from payers import demo
from payers.models import Payer, PayerService, Service, ServiceGroup

pytestmark = pytest.mark.django_db


def counts():
    return (ServiceGroup.objects.count(), Service.objects.count(), Payer.objects.count(), PayerService.objects.count())


def test_demo_price_list_is_realistic_and_idempotent():
    demo.seed(out=io.StringIO())
    groups, services, payers, overrides = counts()
    assert groups == 10 and 110 <= services <= 130 and payers == 2 and 30 <= overrides <= 80
    assert set(Payer.objects.values_list("osoz_id", "imported_from_osoz")) == {("800100", True), ("800200", True)}
    assert all(copy.price == copy.service.price for copy in PayerService.objects.select_related("service"))
    audited = AuditEvent.objects.count()
    demo.seed(out=io.StringIO())
    assert counts() == (groups, services, payers, overrides)
    assert AuditEvent.objects.count() == audited
