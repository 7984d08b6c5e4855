import pytest
from django.contrib.auth.models import Group

from accounts.roles import ROLE_PERMISSIONS
from accounts.services import roles_sync

pytestmark = pytest.mark.django_db


def test_each_role_holds_exactly_its_permissions():
    roles_sync()
    for role, names in ROLE_PERMISSIONS.items():
        granted = {
            f"{app}.{codename}"
            for app, codename in Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        # Equality also proves that every name in ROLE_PERMISSIONS exists.
        assert granted == names, role


def test_a_permission_taken_away_by_hand_comes_back_on_sync():
    group = Group.objects.get(name="Administrator")
    group.permissions.clear()
    roles_sync()
    assert group.permissions.filter(codename="view_auditevent").exists()
