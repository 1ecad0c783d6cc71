"""zslkit's folders show its architecture, and lower wings never import higher ones."""

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "zslkit"

# The small shared pieces at the top of the package, importable by every wing.
SHARED = {"checks", "metrics", "paths", "stats", "style", "_lazy"}
# What each wing may import besides the shared pieces (and itself).
ALLOWED = {
    "data": set(),
    "models": {"data"},
    "lab": {"data", "models"},
    "classic": {"data", "models"},
    "vlm": {"data", "models"},
    "adapt": {"data", "models"},
    "domains": {"data", "models", "classic"},
    "beyond": {"data", "models", "lab", "classic", "vlm", "adapt"},
    "nbtools": set(),
}


def wing_of(module: str) -> str:
    """``zslkit.adapt.adapters`` -> ``adapt``; a top-level module -> ``shared``."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "zslkit":
        raise ValueError(module)
    return parts[1] if parts[1] in ALLOWED else "shared"


def imported_wings(source: str) -> set[str]:
    """The wings a module's source imports (any import of ``zslkit...``, lazy or not)."""
    wings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            wings |= {wing_of(a.name) for a in node.names if a.name.startswith("zslkit.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "zslkit":
                wings |= {a.name if a.name in ALLOWED else "shared" for a in node.names}
            elif node.module.startswith("zslkit."):
                wings.add(wing_of(node.module))
    return wings


def violations(wing: str, source: str) -> set[str]:
    if wing == "shared":
        return imported_wings(source) - {"shared"}
    return imported_wings(source) - ALLOWED[wing] - {wing, "shared"}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel == Path("__init__.py"):
            continue  # the package's facade re-exports zslkit.record from nbtools
        wing = rel.parts[0] if len(rel.parts) > 1 else "shared"
        yield rel, wing, path.read_text()


def test_top_level_holds_only_the_shared_pieces():
    top = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert top == SHARED, f"move {sorted(top - SHARED)} into a wing"
    wings = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert wings == set(ALLOWED)


def test_no_wing_imports_a_higher_one():
    bad = {str(rel): sorted(v) for rel, wing, src in modules() if (v := violations(wing, src))}
    assert not bad, f"imports against the wing order (see CONTRIBUTING.md): {bad}"


def test_the_check_catches_an_upward_import():
    assert violations("data", "from zslkit.adapt import TipAdapter\n") == {"adapt"}
    assert violations("models", "def f():\n    from zslkit.lab import toyclip\n") == {"lab"}
    assert violations("nbtools", "import zslkit.vlm.zpe\n") == {"vlm"}
    assert violations("shared", "from zslkit import data\n") == {"data"}
    assert violations("domains", "from zslkit.classic.transductive import propagate\n") == set()


@pytest.mark.parametrize("wing", sorted(w for w in ALLOWED if w != "nbtools"))
def test_every_name_a_wing_exports_is_there(wing):
    pkg = importlib.import_module(f"zslkit.{wing}")
    exports = getattr(pkg, "_EXPORTS", None)  # classic imports its names eagerly
    assert pkg.__all__
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        if exports is not None:
            assert obj is getattr(importlib.import_module(f"zslkit.{wing}.{exports[name]}"), name)
    with pytest.raises(AttributeError, match="no_such_name"):
        getattr(pkg, "no_such_name")


def test_a_notebook_imports_a_method_in_one_line():
    from zslkit.adapt import TipAdapter
    from zslkit.adapt.adapters import TipAdapter as direct

    assert TipAdapter is direct
