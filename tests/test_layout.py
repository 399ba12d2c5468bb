"""The project's shape: the engine, the data and the views are free of Streamlit; every module says what it is for."""
import ast
import subprocess
import sys
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


def test_spec_and_layer_registry_need_no_torch():
    # Reading, validating and sizing a spec (and drawing its controls) must not load PyTorch.
    code = ("import sys, playground.spec, playground.layers, playground.presets\n"
            "assert 'torch' not in sys.modules, 'import'\n"
            "from playground.spec import Spec\n"
            "from playground.layers import infer_shapes\n"
            "from playground.presets import image_spec\n"
            "spec = Spec.from_json(image_spec().to_json())\n"
            "infer_shapes(spec.layers, (1, 8, 8), 10)\n"
            "assert 'torch' not in sys.modules, 'validate'\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_app_server_needs_no_torch():
    # Trainers live in the pool's processes; the server builds the data, draws the views and
    # unpickles frames. Keeping torch out of it saves ~150 MB and seconds of start-up per server.
    code = ("import sys, pickle\n"
            "import playground.ui.state, playground.ui.live_view, playground.ui.toolbar, playground.ui.data_panel\n"
            "from playground.live import LiveRunner\n"
            "from playground.spec import Spec\n"
            "assert 'torch' not in sys.modules, 'import'\n"
            "runner = LiveRunner(Spec(), mode='process')\n"
            "runner.step_batches(3)\n"
            "frame, data = runner.frame(detail=(1, 0))\n"
            "assert frame.header.step == 3 and frame.payload.detail_map is not None\n"
            "runner.close()\n"
            "assert 'torch' not in sys.modules, 'a frame of a 2-D experiment'\n"
            "import playground.ui.image_panel\n"
            "from playground.data import class_gallery\n"
            "from playground.presets import image_spec\n"
            "runner = LiveRunner(image_spec('digits'), mode='process')\n"
            "runner.step_batches(2)\n"
            "frame, data = runner.frame(index=0, panels=('inspect',))\n"
            "assert frame.payload.inspection.feature_maps and len(class_gallery(data, 2)[0]) == 20\n"
            "runner.close()\n"
            "assert 'torch' not in sys.modules, 'a frame of an image experiment'\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
