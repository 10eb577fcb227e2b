"""Serve a fake remote on 127.0.0.1: ``python -m switchyard.fakes serve jira --port 8101 --issues 1000``.

``--profile glitchtip`` makes the fake Sentry answer as GlitchTip, a Sentry-compatible server.
With ``--webhook-url URL --webhook-secret SECRET`` the fake sends its webhooks, signed with the
secret, to that URL for every change, as the remote does once a webhook is configured there.
"""

import argparse
import sys

from switchyard.fakes.registry import FAKES, fake_class


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
    serve.add_argument("--webhook-secret", help="the secret that signs the webhooks")
    args = parser.parse_args(argv)
    if (args.webhook_url is None) != (args.webhook_secret is None):
        parser.error("--webhook-url and --webhook-secret go together")

    if args.profile and args.kind != "sentry":
        parser.error("--profile applies to the fake Sentry only")
    fake = fake_class(args.kind, args.profile).seeded(
        issues=args.issues, projects=args.projects, seed=args.seed
    )
    if args.webhook_url:
        fake.subscribe_webhooks(args.webhook_url, args.webhook_secret)
    server = fake.make_http_server("127.0.0.1", args.port)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
