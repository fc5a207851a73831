"""The suite's own layout: what tests share lives in modules made for it
(factories, admin_forms, pages, sites, fixture_files) and in conftest's
fixtures, so no test module imports another test module or conftest; not
at the top, not inside a function, not in code a test runs in another process."""

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SCANNED = sorted(
    path for path in TESTS.rglob("*.py") if not {".venv", "node_modules"} & set(path.parts)
)


def is_test_module(name, level=0):
    """Whether an imported module name, `level` dots deep, is one of the
    suite's test modules or its conftest."""
    parts = name.split(".") if name else []
    local = level > 0 or len(parts) == 1 or parts[:1] == ["tests"]
    return local and any(part == "conftest" or part.startswith("test_") for part in parts)


def _imports(tree, line=None):
    """(line, module) for each module a parsed piece of code imports."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # The module imported from, or what it names if that is a module.
            base = node.module or ""
            names = [(base, node.level)]
            if not is_test_module(base, node.level):
                names += [(f"{base}.{alias.name}".lstrip("."), node.level) for alias in node.names]
        else:
            continue
        for name, level in names:
            if is_test_module(name, level):
                yield line or node.lineno, "." * level + name


def _code_in_strings(tree):
    """(line, parsed code) for each string that reads as Python with an import,
    as those given to `python -c` or `manage.py shell -c`; an f-string's
    replacement fields are read as a plain name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                part.value if isinstance(part, ast.Constant) else "_" for part in node.values
            )
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        if "import" not in text:
            continue
        try:
            yield node.lineno, ast.parse(text)
        except SyntaxError:
            continue


def imported_test_modules(path):
    """Where the Python file at `path` imports a test module or conftest, as
    "line: module", in its code or in the code its strings hold."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set(_imports(tree))
    for line, code in _code_in_strings(tree):
        found |= set(_imports(code, line))
    return [f"{line}: {name}" for line, name in sorted(found)]


@pytest.mark.parametrize("path", SCANNED, ids=lambda path: str(path.relative_to(TESTS)))
def test_no_test_module_imports_another(path):
    assert imported_test_modules(path) == []


def test_every_module_of_the_suite_is_scanned():
    names = {path.relative_to(TESTS).as_posix() for path in SCANNED}
    assert {"conftest.py", "factories.py", "test_admin.py", "test_backup.py"} <= names
    assert "test_suite_layout.py" in names


# Each is formatted with a test module's name; as written here none is code.
VIOLATIONS = {
    "relative": "from .{module} import form_data\n",
    "relative, the module by name": "from . import {module}\n",
    "absolute": "from tests.{module} import form_data\n",
    "absolute, the module by name": "from tests import {module}\n",
    "import": "import tests.{module}\n",
    "import as": "import tests.{module} as helpers\n",
    "bare": "import {module}\n",
    "inside a function": "def test_x():\n    if True:\n        from .{module} import x\n",
    "in a string": 'CODE = "from tests.{module} import make_claim; make_claim()"\n',
    "f-string": 'CODE = f"""\nfrom tests.{module} import make_claim\nmake_claim({{n}})\n"""\n',
    "in a folder of tests": "from .browser.{module} import visit\n",
}


@pytest.mark.parametrize("module", ["conftest", "test_admin"])
@pytest.mark.parametrize("violation", VIOLATIONS.values(), ids=VIOLATIONS.keys())
def test_an_import_of_a_test_module_is_found(tmp_path, violation, module):
    path = tmp_path / "test_bad.py"
    path.write_text("import pytest\n\n" + violation.format(module=module), encoding="utf-8")
    assert imported_test_modules(path), path.read_text()


def test_imports_of_shared_modules_and_other_packages_pass(tmp_path):
    path = tmp_path / "test_good.py"
    path.write_text(
        "import test\nfrom django.test import TestCase\nimport pytest_django\n"
        "from claims.tests_data import rows\nfrom . import factories\n"
        "from .factories import make_claim\nfrom tests.sites import manage\n"
        "def f():\n    from .admin_forms import form_data\n"
        'CODE = "from tests.factories import make_claim; make_claim()"\n'
        'NOTE = "a sentence about what a test_admin import would do"\n',
        encoding="utf-8",
    )
    assert imported_test_modules(path) == []
