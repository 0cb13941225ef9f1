"""Node scripts run by tests, with the npm packages package-lock.json pins (node_modules/)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from .processes import REPO_ROOT

NODE_MODULES = REPO_ROOT / "node_modules"
# A script talks to a local gateway and worker; a minute means something hangs.
SCRIPT_TIMEOUT_S = 60.0


class NodeScriptError(AssertionError):
    """A Node script exited non-zero; its output says which step failed and why."""


def node_package(name: str) -> Path:
    """An installed npm package's folder, or an error naming the command that installs it."""
    folder = NODE_MODULES / name
    if not (folder / "package.json").is_file():
        raise RuntimeError(f"npm package {name} is not installed: run `npm ci` at the repo root")
    return folder


def run_node_script(script: Path, given: Any, timeout_s: float = SCRIPT_TIMEOUT_S) -> Any:
    """Run `script` with `given` as JSON on its standard input; what it printed, read as JSON."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed (scripts/setup.sh installs it)")
    finished = subprocess.run(
        [node, str(script)],
        input=json.dumps(given),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=timeout_s,
        check=False,
    )
    if finished.returncode != 0:
        raise NodeScriptError(
            f"{script.name} exited {finished.returncode}:\n{finished.stdout}\n{finished.stderr}"
        )
    return json.loads(finished.stdout)
