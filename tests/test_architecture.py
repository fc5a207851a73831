"""The layering the code keeps (docs/architecture.md): import-linter's
contracts hold, and fail when a module breaks them; only the backend modules
ask which database they are on."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# The modules that may read `connection.vendor`: the chooser of the
# backend modules (database and search), and the backup engines.
# Migrations and the benchmark are outside the app's code paths.
VENDOR_ALLOWED = {"claims/db/__init__.py", "claims/backups.py"}
VENDOR = re.compile(r"\.vendor\b")


def app_modules():
    for package in ("claims", "tracker"):
        for path in sorted((PROJECT / package).rglob("*.py")):
            relative = path.relative_to(PROJECT).as_posix()
            if "/migrations/" not in relative:
                yield relative


def vendor_readers(paths):
    """The modules among `paths` (relative to the project) that read a
    connection's vendor."""
    return [path for path in paths if VENDOR.search((PROJECT / path).read_text())]


def test_only_the_backend_modules_ask_which_database_they_are_on():
    assert set(vendor_readers(app_modules())) <= VENDOR_ALLOWED


def test_the_vendor_check_finds_a_module_that_asks(tmp_path, monkeypatch):
    probe = tmp_path / "claims" / "probe.py"
    probe.parent.mkdir()
    probe.write_text("if connection.vendor == 'sqlite':\n    pass\n")
    monkeypatch.setattr(sys.modules[__name__], "PROJECT", tmp_path)
    assert vendor_readers(["claims/probe.py"]) == ["claims/probe.py"]


def lint_imports(root):
    """lint-imports on the packages under `root`, with the project's contracts."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def copy_of_the_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("layers")
    for package in ("claims", "tracker"):
        shutil.copytree(
            PROJECT / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(PROJECT / "pyproject.toml", root)
    return root


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
def test_the_import_contracts_hold(copy_of_the_app):
    result = lint_imports(copy_of_the_app)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")
@pytest.mark.parametrize(
    ("module", "imports", "contract"),
    [
        ("claims/db/probe.py", "from claims import views", "Layers"),
        ("claims/models_probe.py", "from claims.search import matching", "The domain asks"),
        ("claims/text_probe.py", "import django", "The base modules"),
        ("claims/generator_probe.py", "import claims.filters", "Fixtures in and out"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(copy_of_the_app, module, imports, contract):
    probe = copy_of_the_app / module
    # An import inside a function counts as much as one at the top.
    probe.write_text(f"def late():\n    {imports}\n")
    source = probe.stem.removesuffix("_probe")
    contracts = copy_of_the_app / "pyproject.toml"
    original = contracts.read_text()
    if source != "probe":
        # Stand in for the module the contract names.
        contracts.write_text(original.replace(f'"claims.{source}"', f'"claims.{probe.stem}"'))
    try:
        result = lint_imports(copy_of_the_app)
    finally:
        probe.unlink()
        contracts.write_text(original)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken and probe.stem in broken
