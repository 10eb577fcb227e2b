#!/usr/bin/env python3
"""Set up and run Switchyard with nothing but Python 3.11+.

python3 dev.py serve [ADDRESS]  # venv + pinned deps, migrate, demo data; web server, worker, scheduler
                                # and fake Sentry, Jira and Linear (127.0.0.1:8000; DEMO=false: no demo)
python3 dev.py test    # venv + pinned deps, the whole test suite (extra args go to pytest)
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
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


# The fake remotes of the demo: default port, issues and projects to seed. The demo data maps
# the projects these seed onto the product tree (switchyard/web/demo_remotes.py).
FAKES = {"sentry": (8201, 40, 5), "jira": (8202, 30, 3), "linear": (8203, 20, 2)}


def flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def var_dir() -> Path:
    return Path(os.environ.get("VAR_DIR", ROOT / "var"))


def fake_port(kind: str) -> int:
    return int(os.environ.get(f"DEMO_{kind.upper()}_PORT", FAKES[kind][0]))


def services(address: str) -> dict[str, list]:
    """The processes `serve` runs: the web server, a task worker and the sync scheduler."""
    return {
        "web": [PYTHON, "manage.py", "runserver", address],
        "worker": [PYTHON, "manage.py", "db_worker"],
        "scheduler": [PYTHON, "manage.py", "sync_scheduler"],
    }


def fakes(webhooks: dict[str, dict], activity: float) -> dict[str, tuple[list, dict]]:
    """The demo's fake remotes: command line and extra environment of each.

    Each keeps its state under var/demo/ and signs its webhooks to Switchyard with the secret of
    its connection (passed in the environment, out of sight of other local users). The fake
    Sentry makes a change every ``activity`` seconds, the trackers a third as often (0: never).
    """
    commands = {}
    for kind, (_, issues, projects) in FAKES.items():
        argv = [
            PYTHON, "-m", "switchyard.fakes", "serve", kind,
            "--port", fake_port(kind),
            "--issues", issues,
            "--projects", projects,
            "--state", var_dir() / "demo" / f"{kind}.state",
            "--webhook-url", webhooks[kind]["url"],
        ]  # fmt: skip
        if activity > 0:
            argv += ["--activity", activity if kind == "sentry" else activity * 3]
        commands[kind] = (argv, {"FAKE_WEBHOOK_SECRET": webhooks[kind]["secret"]})
    return commands


class Children:
    """Child processes, each in its own process group so that stopping one stops what it started
    (runserver's reloader runs the server in a grandchild)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list, extra_env: dict[str, str] | None = None) -> None:
        self.running[name] = subprocess.Popen(
            [str(part) for part in argv],
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            start_new_session=os.name != "nt",
        )

    def stopped(self) -> list[str]:
        return [name for name, child in self.running.items() if child.poll() is not None]

    def stop(self) -> None:
        for child in self.running.values():
            self._signal(child, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in self.running.values():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal(child, signal.SIGKILL if os.name != "nt" else signal.SIGTERM)
                child.wait()
        if os.name != "nt":  # what a child left in its group (a reloader's server) goes too
            for child in self.running.values():
                self._signal(child, signal.SIGKILL)
            # ... and is gone, its port closed, by the time serve returns.
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and any(
                self._group_alive(child) for child in self.running.values()
            ):
                time.sleep(0.05)

    @staticmethod
    def _group_alive(child: subprocess.Popen) -> bool:
        try:
            os.killpg(child.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    @staticmethod
    def _signal(child: subprocess.Popen, signum: int) -> None:
        try:
            if os.name == "nt":
                child.send_signal(signum)
            else:
                os.killpg(child.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def wait_for_port(port: int, child: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while child.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"A fake remote did not start on port {port}.")


def start_demo(children: Children, env: dict[str, str], address: str) -> None:
    """Demo data connected to fake Sentry, Jira and Linear servers, started as children."""
    webhooks_file = var_dir() / "demo" / "webhooks.json"
    remotes = [f"--remote={kind}=http://127.0.0.1:{fake_port(kind)}" for kind in FAKES]
    run(
        [PYTHON, "manage.py", "seed_demo", *remotes, "--web-url", f"http://{address}",
         "--webhooks-out", webhooks_file],
        env=env,
    )  # fmt: skip
    webhooks = json.loads(webhooks_file.read_text())
    webhooks_file.unlink()
    activity = float(os.environ.get("DEMO_ACTIVITY_SECONDS", "5"))
    for kind, (argv, extra_env) in fakes(webhooks, activity).items():
        children.start(f"fake {kind}", argv, extra_env)
    for kind in FAKES:
        wait_for_port(fake_port(kind), children.running[f"fake {kind}"])
    run([PYTHON, "manage.py", "seed_demo", "--populate-remotes"], env=env)


def interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def serve(address: str = "127.0.0.1:8000") -> int:
    """Migrate and run every service until Ctrl-C or until one of them stops.

    In demo mode (the default; DEMO=false turns it off) it also loads the demo data and starts
    the fake remotes it is connected to. Exits 0 on Ctrl-C (or SIGTERM), 1 when a service stopped.
    """
    demo = flag("DEMO", True)
    env = {
        **os.environ,
        "DEBUG": os.environ.get("DEBUG", "true"),
        "DEMO": "true" if demo else "false",
        # The demo's fake remotes listen on 127.0.0.1.
        "SWITCHYARD_ALLOW_PRIVATE_REMOTES": os.environ.get(
            "SWITCHYARD_ALLOW_PRIVATE_REMOTES", "true"
        ),
    }
    # Stopped by SIGTERM as by Ctrl-C, even when started with SIGINT ignored (in the background).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)
    run([PYTHON, "manage.py", "migrate", "--no-input"], env=env)
    children = Children(env)
    try:
        if demo:
            start_demo(children, env, address)
        for name, argv in services(address).items():
            children.start(name, argv)
        print(
            f"Switchyard on http://{address} (API docs: /api/docs/, admin: /admin/), "
            f"with {', '.join(children.running)}",
            flush=True,
        )
        if not demo:
            print(
                "No demo: to sign in, create an account with "
                f"{PYTHON.relative_to(ROOT)} manage.py createsuperuser",
                flush=True,
            )
        while not (stopped := children.stopped()):
            time.sleep(0.5)
        print(f"{', '.join(stopped)} stopped; stopping the rest", flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        # A second Ctrl-C must not cut the stopping short and leave children behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        children.stop()


def test(args: list[str]) -> int:
    return subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT).returncode


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("serve", "test"):
        print(__doc__)
        return 2
    ensure_environment()
    if sys.argv[1] == "serve":
        return serve(*sys.argv[2:3])
    return test(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
