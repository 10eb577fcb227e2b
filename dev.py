#!/usr/bin/env python3
"""Set up and run Switchyard with nothing but Python 3.11+.

python3 dev.py serve   # venv + pinned deps, migrate, demo data, server and worker on :8000
python3 dev.py test    # venv + pinned deps, the whole test suite (extra args go to pytest)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def ensure_environment() -> None:
    """Create .venv and install the pinned dependencies when the lock file changed."""
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".requirements.sha256"
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        print("Installing the pinned dependencies ...", flush=True)
        run([PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", LOCK])
        stamp.write_text(digest)


def run(command: list, **kwargs) -> None:
    subprocess.run([str(part) for part in command], cwd=ROOT, check=True, **kwargs)


def serve() -> None:
    env = {
        **os.environ,
        "DEBUG": os.environ.get("DEBUG", "true"),
        # The demo's fake remotes listen on 127.0.0.1.
        "SWITCHYARD_ALLOW_PRIVATE_REMOTES": os.environ.get(
            "SWITCHYARD_ALLOW_PRIVATE_REMOTES", "true"
        ),
    }
    run([PYTHON, "manage.py", "migrate", "--no-input"], env=env)
    run([PYTHON, "manage.py", "seed_demo"], env=env)
    worker = subprocess.Popen([PYTHON, "manage.py", "db_worker"], cwd=ROOT, env=env)
    try:
        print(
            "Switchyard on http://127.0.0.1:8000 (API docs: /api/docs/, admin: /admin/)", flush=True
        )
        run([PYTHON, "manage.py", "runserver", "127.0.0.1:8000"], env=env)
    except KeyboardInterrupt:
        pass
    finally:
        worker.terminate()
        worker.wait()


def test(args: list[str]) -> int:
    return subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT).returncode


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("serve", "test"):
        print(__doc__)
        return 2
    ensure_environment()
    if sys.argv[1] == "serve":
        serve()
        return 0
    return test(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
