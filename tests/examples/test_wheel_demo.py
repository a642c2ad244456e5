"""`agentkit demo` from an installed wheel: the example ships inside the package, so a user who ran
`pip install agentkit-support` gets the demo without a source checkout.

The wheel is built from a copy of the source (offline: `pip wheel --no-build-isolation`) and
installed with `--no-deps` into a fresh virtual environment. Its third-party dependencies come from
this test's environment through a `.pth` line naming that site-packages folder: a path line in a
`.pth` file only extends `sys.path`, so the `.pth` files in that folder — among them the editable
install's finder that maps `agentkit` to this checkout — are never run, and only the wheel's
`agentkit` can be imported. Slow: it builds the example and indexes its help center from scratch.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

import agentkit

pytestmark = pytest.mark.slow
SOURCE = Path(agentkit.__file__).resolve().parents[1]
QUESTION = "where is my order? it's taking forever"
PROBE = (
    "import json, sys, agentkit, agentkit.examples.support_bot as ex; "
    "print(json.dumps({'agentkit': agentkit.__file__, 'example': ex.__file__, "
    "'editable': [m for m in sys.modules if m.startswith('__editable__')]}))"
)


def _run(command: list[str], *, timeout: float, **options: Any) -> str:
    """Run ``command``; its standard output, or a failure that shows its standard error."""
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout, **options)
    assert done.returncode == 0, f"{command[:3]} exited {done.returncode}:\n{done.stderr[-4000:]}"
    return done.stdout


def _build_wheel(tmp: Path) -> Path:
    """The wheel of a copy of the source tree (no generated data, no caches, nothing written here)."""
    tree = tmp / "source"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(SOURCE / name, tree / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "data", ".agentkit")
    shutil.copytree(SOURCE / "agentkit", tree / "agentkit", ignore=skip)
    dist = tmp / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    _run([*command, "-q", "-w", str(dist), str(tree)], timeout=300)
    (wheel,) = dist.glob("agentkit_support-*.whl")
    return wheel


def _fresh_venv(tmp: Path, wheel: Path) -> Path:
    """A virtual environment with only the wheel installed, and this environment's dependencies visible."""
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], timeout=120)
    python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q"]
    _run([*install, str(wheel)], timeout=300)
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], timeout=60).strip()
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(site) / "_test_dependencies.pth").write_text("".join(f"{path}\n" for path in ours), encoding="utf-8")
    return venv


@pytest.mark.timeout(900)
def test_the_demo_answers_from_an_installed_wheel_without_a_source_checkout(tmp_path: Path) -> None:
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip("building the wheel offline needs setuptools in this environment")
    venv = _fresh_venv(tmp_path, _build_wheel(tmp_path))
    home, cwd = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    cwd.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "HF_HUB_OFFLINE": "1",  # the embedding model ships in a package; nothing is downloaded
        "PYTHONNOUSERSITE": "1",
        "TMPDIR": str(tmp_path),
    }

    where = json.loads(_run([str(venv / "bin" / "python"), "-c", PROBE], cwd=cwd, env=env, timeout=120))
    assert Path(where["agentkit"]).is_relative_to(venv), where
    assert Path(where["example"]).is_relative_to(venv), where
    assert where["editable"] == [], where

    command = [str(venv / "bin" / "agentkit"), "demo", "--once", QUESTION, "--user", "c_0001", "--json"]
    reply = json.loads(_run(command, cwd=cwd, env=env, timeout=600))
    assert "[order_status." in reply["answer"]
    customers = {f["key"] for f in reply["trace"]["features"] if f["ref"].startswith("customer_profile.")}
    assert customers <= {"c_0001"}
    assert (home / ".cache" / "agentkit" / "demo" / "agentkit.toml").is_file()  # built in the user's cache
    assert list(cwd.iterdir()) == []
