"""WCAG 2.1 AA checks of a page in the browser tests, by axe-core (npm, package.json) injected into the page: the
portal's pages must have no violation at all (issue 18)."""

from pathlib import Path

from django.conf import settings

AXE_SCRIPT = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# The rule sets of WCAG 2.0 and 2.1, levels A and AA.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page) -> list[dict]:
    """axe-core's violations of WCAG 2.1 AA on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # add_script_tag would be refused by the pages' Content-Security-Policy; evaluate runs in the page's world.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_AA,
    )
    return result["violations"]


def assert_accessible(page) -> None:
    """Fail with each violated rule, its help text and the offending elements."""
    found = violations(page)
    described = [
        f"{item['id']} ({item['impact']}): {item['help']} — "
        + "; ".join(
            node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
            for node in item["nodes"][:5]
        )
        for item in found
    ]
    assert not found, f"axe-core found WCAG 2.1 AA violations on {page.url}:\n" + "\n".join(described)
