"""Every example in examples/ runs, in its short mode."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("plot_*.py"))  # the gallery
SCRIPTS = [EXAMPLES_DIR / "train_with_accelerate.py"]  # launched, not in the gallery


@pytest.mark.parametrize("path", EXAMPLES + SCRIPTS, ids=[p.name for p in EXAMPLES + SCRIPTS])
def test_example_runs(path, tmp_path):
    if path in SCRIPTS:
        pytest.importorskip("accelerate")
    env = {**os.environ, "SKLEARN_SSVAE_EXAMPLES_QUICK": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def test_every_example_has_a_title_docstring_and_cells():
    assert len(EXAMPLES) >= 5
    for path in EXAMPLES + SCRIPTS:
        text = path.read_text()
        assert text.startswith('"""\n=') and "# %%" in text, path.name
