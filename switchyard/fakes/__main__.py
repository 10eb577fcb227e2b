"""Serve a fake remote on 127.0.0.1: ``python -m switchyard.fakes serve jira --port 8101 --issues 1000``."""

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
    args = parser.parse_args(argv)

    fake = fake_class(args.kind).seeded(issues=args.issues, projects=args.projects, seed=args.seed)
    server = fake.make_http_server("127.0.0.1", args.port)
    host, port = server.server_address[:2]
    print(f"fake {args.kind} serving on http://{host}:{port}", flush=True)
    for line in fake.credentials_help():
        print(line, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
