"""The project's shape: the engine, the data and the views are free of Streamlit; every module says what it is for."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE = [p for folder in ("playground", "datasets") for p in (ROOT / folder).rglob("*.py")
          if "ui" not in p.relative_to(ROOT).parts]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_app_and_ui_import_streamlit():
    assert ENGINE, "no engine modules found"
    offenders = [str(p.relative_to(ROOT)) for p in ENGINE if "streamlit" in _imports(p)]
    assert offenders == []


def test_every_module_has_a_docstring():
    modules = ENGINE + list((ROOT / "playground" / "ui").glob("*.py")) + [ROOT / "app.py"]
    missing = [str(p.relative_to(ROOT)) for p in modules if not ast.get_docstring(ast.parse(p.read_text()))]
    assert missing == []


def test_viz_needs_no_torch():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "playground" / "viz").glob("*.py") if "torch" in _imports(p)]
    assert offenders == []
