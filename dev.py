#!/usr/bin/env python3
"""Set up and run Switchyard with nothing but Python 3.11+.

python3 dev.py serve [ADDRESS]  # venv + pinned deps, migrate, demo data; web server, worker, scheduler (127.0.0.1:8000)
python3 dev.py test    # venv + pinned deps, the whole test suite (extra args go to pytest)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
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


def services(address: str) -> dict[str, list]:
    """The processes `serve` runs: the web server, a task worker and the sync scheduler."""
    return {
        "web": [PYTHON, "manage.py", "runserver", address],
        "worker": [PYTHON, "manage.py", "db_worker"],
        "scheduler": [PYTHON, "manage.py", "sync_scheduler"],
    }


def serve(address: str = "127.0.0.1:8000") -> None:
    """Migrate, load the demo data, then run every service until Ctrl-C or until one of them stops."""
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
    children = {
        name: subprocess.Popen([str(part) for part in argv], cwd=ROOT, env=env)
        for name, argv in services(address).items()
    }
    print(
        f"Switchyard on http://{address} (API docs: /api/docs/, admin: /admin/), "
        f"with {', '.join(children)}",
        flush=True,
    )
    try:
        while all(child.poll() is None for child in children.values()):
            time.sleep(0.5)
        stopped = [name for name, child in children.items() if child.poll() is not None]
        print(f"{', '.join(stopped)} stopped; stopping the rest", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            child.wait()


def test(args: list[str]) -> int:
    return subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT).returncode


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("serve", "test"):
        print(__doc__)
        return 2
    ensure_environment()
    if sys.argv[1] == "serve":
        serve(*sys.argv[2:3])
        return 0
    return test(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
