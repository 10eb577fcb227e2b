"""Serve a fake remote on 127.0.0.1: ``python -m switchyard.fakes serve jira --port 8101 --issues 1000``.

``--profile glitchtip`` makes the fake Sentry answer as GlitchTip, a Sentry-compatible server.
With ``--webhook-url URL --webhook-secret SECRET`` the fake sends its webhooks, signed with the
secret, to that URL for every change, as the remote does once a webhook is configured there
(the secret may come from the ``FAKE_WEBHOOK_SECRET`` environment variable instead, out of sight
of other local users). ``--state FILE`` keeps the fake's state in that file across restarts, and
``--activity SECONDS`` makes changes on its own every so often (the demo; see ``activity.py``).
SIGTERM stops it as Ctrl-C does, saving the state first.
"""

import argparse
import os
import signal
import sys
from pathlib import Path

from switchyard.fakes import snapshot
from switchyard.fakes.activity import Activity
from switchyard.fakes.registry import FAKES, fake_class


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m switchyard.fakes")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a seeded fake remote on 127.0.0.1")
    serve.add_argument("kind", choices=sorted(FAKES))
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--issues", type=int, default=50, help="issues to seed")
    serve.add_argument("--projects", type=int, default=3, help="projects (or teams) to seed")
    serve.add_argument("--seed", type=int, default=1, help="random seed for the generated data")
    serve.add_argument(
        "--profile",
        choices=["sentry", "glitchtip"],
        help="sentry only: answer as sentry.io (the default) or as GlitchTip",
    )
    serve.add_argument("--webhook-url", help="POST a signed webhook to this URL for every change")
    serve.add_argument(
        "--webhook-secret",
        default=os.environ.get("FAKE_WEBHOOK_SECRET"),
        help="the secret that signs the webhooks (default: $FAKE_WEBHOOK_SECRET)",
    )
    serve.add_argument(
        "--state", type=Path, help="keep the state in this file: loaded on start, saved as it runs"
    )
    serve.add_argument(
        "--activity",
        type=float,
        metavar="SECONDS",
        help="make a change on its own every SECONDS (new errors, regressions, moved tickets)",
    )
    args = parser.parse_args(argv)
    if (args.webhook_url is None) != (args.webhook_secret is None):
        parser.error("--webhook-url and --webhook-secret go together")

    if args.profile and args.kind != "sentry":
        parser.error("--profile applies to the fake Sentry only")
    fake = fake_class(args.kind, args.profile).seeded(
        issues=args.issues, projects=args.projects, seed=args.seed
    )
    if args.state:
        snapshot.restore(fake, args.state)
    if args.webhook_url:
        fake.subscribe_webhooks(args.webhook_url, args.webhook_secret)
    server = fake.make_http_server("127.0.0.1", args.port)
    signal.signal(signal.SIGTERM, _interrupt)
    background = []
    if args.state:
        background.append(snapshot.Autosave(fake, args.state).start())
    if args.activity:
        background.append(Activity(fake, args.kind, args.activity).start())
    host, port = server.server_address[:2]
    print(f"fake {args.kind} serving on http://{host}:{port}", flush=True)
    for line in fake.credentials_help():
        print(line, flush=True)
    if args.webhook_url:
        print(f"webhooks: sent to {args.webhook_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        for worker in reversed(background):
            worker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
