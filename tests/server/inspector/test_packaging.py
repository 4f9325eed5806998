"""``pip install .`` ships the console's assets: setuptools' build of the package holds every static file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from server.inspector.routes import STATIC_DIR

REPO = Path(__file__).resolve().parents[3]


def test_static_assets_are_package_data(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(
        REPO, source, ignore=shutil.ignore_patterns(".git", "tests", "*.egg-info", "build", "__pycache__")
    )
    built = tmp_path / "lib"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import setuptools; setuptools.setup()",
            "-q",
            "build_py",
            "--build-lib",
            str(built),
        ],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=120,
    )
    expected = sorted(p.name for p in STATIC_DIR.iterdir() if p.is_file())
    shipped = sorted(p.name for p in (built / "server" / "inspector" / "static").iterdir())
    assert shipped == expected
    assert {"index.html", "inspector.js", "inspector.css"} <= set(shipped)
