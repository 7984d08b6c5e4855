"""The sandbox is a separate system: it must not import any product package (SPEC §0, STYLE 4)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
PRODUCT_PACKAGES = {"config", "core", "accounts", "clinic", "patients", "scheduling", "osoz_integration", "payers"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_sandbox_imports_nothing_from_the_product():
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(_imported_roots(path) & PRODUCT_PACKAGES)
        for path in PACKAGE.rglob("*.py")
        if _imported_roots(path) & PRODUCT_PACKAGES
    }
    assert offenders == {}


def test_the_scan_sees_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import core.crypto\nfrom clinic.models import Location\nfrom . import api\n")
    assert _imported_roots(sample) == {"core", "clinic"}
