"""Run the Node scripts that drive the official npm clients (tests/e2e/node)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parents[1] / "e2e" / "node"
SCRIPTS_DIR = NODE_DIR / "scripts"


def node_available() -> bool:
    return shutil.which("node") is not None and (NODE_DIR / "node_modules").is_dir()


def run_node(
    script: str | Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``node script args...`` with cwd tests/e2e/node so ``require`` finds the npm clients.

    ``script`` may be a bare name, looked up in tests/e2e/node/scripts/. With ``check`` a non-zero exit raises
    an AssertionError that carries both output streams.
    """
    path = Path(script)
    if not path.is_absolute() and not path.exists():
        path = SCRIPTS_DIR / path
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        ["node", str(path), *args],
        cwd=NODE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"node {path.name} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc


def run_node_json(script: str | Path, *args: str, **kwargs: Any) -> Any:
    """Run a script whose last stdout line is a JSON document and return it parsed."""
    proc = run_node(script, *args, **kwargs)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if not lines:
        raise AssertionError(f"node {script} printed nothing\n--- stderr\n{proc.stderr}")
    return json.loads(lines[-1])
