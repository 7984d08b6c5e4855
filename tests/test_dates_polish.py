"""Dates and times read the Polish way on every page: 05.12.2026 and 09:31, never 2026-12-05 (ISO dates stay where
HTML needs them — in attributes such as a date input's value — and out of the text people read). Every staff page
that answers GET is opened with one of each object in the database, as the administrator and as a doctor."""

import re

import pytest

from accounts.roles import ADMINISTRATOR, DOCTOR, ROLE_PERMISSIONS
from tests.test_no_access import ROUTES, WORLD_ID, allows, world  # noqa: F401 (world: the fixture)

pytestmark = pytest.mark.django_db

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# What a person reads: the text between the tags, without scripts and styles.
HIDDEN = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.DOTALL)

PAGES = [
    pytest.param(persona, path.format(id=WORLD_ID), id=f"{persona}-{name}")
    for persona, role in (("alice", ADMINISTRATOR), ("carol", DOCTOR))
    for name, path, view in ROUTES
    if not path.startswith("/api/") and allows(view, "get", ROLE_PERMISSIONS[role])
]


@pytest.mark.parametrize(("persona", "path"), PAGES)
def test_a_page_shows_dates_the_polish_way(request, client_for, world, persona, path):  # noqa: F811
    response = client_for(request.getfixturevalue(persona)).get(path)
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return
    text = HIDDEN.sub(" ", response.text)
    assert not ISO_DATE.findall(text), (path, ISO_DATE.findall(text))
