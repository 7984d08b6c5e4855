"""The accessibility check itself (tests/axe.py) finds a violation where there is one, and passes a clean page, so a
portal page's "no violations" means something."""

import pytest

from tests.axe import assert_accessible, violations

CLEAN = (
    '<!DOCTYPE html><html lang="pl"><head><title>Strona</title></head>'
    "<body><main><h1>Nagłówek</h1></main></body></html>"
)


@pytest.fixture
def blank(chromium):
    context = chromium.new_context()
    yield context.new_page()
    context.close()


def test_a_clean_page_has_no_violations(blank):
    blank.set_content(CLEAN)
    assert_accessible(blank)


def test_an_image_without_text_and_a_field_without_a_label_are_violations(blank):
    blank.set_content(
        '<!DOCTYPE html><html lang="pl"><head><title>Strona</title></head><body><main><h1>Nagłówek</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main></body></html>'
    )
    assert {item["id"] for item in violations(blank)} >= {"image-alt", "label"}
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(blank)


def test_text_below_aa_contrast_is_a_violation(blank):
    blank.set_content(CLEAN.replace("<h1>", '<p style="color:#bbb;background:#fff">Szary tekst</p><h1>'))
    assert "color-contrast" in {item["id"] for item in violations(blank)}
