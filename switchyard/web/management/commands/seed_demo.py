"""Fill an empty database with a demo organization, product tree, teams and one user per role.

With ``--remote KIND=URL`` (``dev.py serve`` gives all three) the organization is connected to
fake remotes at those URLs, and ``--webhooks-out FILE`` receives, as JSON, where each fake must
send its webhooks and the secret to sign them with. Once the fakes answer, ``--populate-remotes``
syncs them and maps their projects, adds an automation rule and customer issues (once).
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from switchyard.accounts.models import Order, Organization, Role, Team, User, Vendor
from switchyard.accounts.services import user_create
from switchyard.products.models import Priority
from switchyard.products.services import product_create
from switchyard.sync.models import ConnectionKind
from switchyard.web.demo_remotes import demo_connections_ensure, demo_remotes_populate

TEAMS = ["Payments", "Storefront", "Mobile", "Platform", "Fulfilment"]

# (name, priority, owning team, children)
PRODUCT_TREE = [
    (
        "E-commerce Platform",
        Priority.CRITICAL,
        "Platform",
        [
            (
                "Checkout",
                Priority.CRITICAL,
                "Payments",
                [
                    (
                        "Payments",
                        Priority.CRITICAL,
                        "Payments",
                        [
                            ("Card Processing", Priority.CRITICAL, "Payments", []),
                            ("Refunds", Priority.HIGH, "Payments", []),
                        ],
                    ),
                    ("Cart", Priority.HIGH, "Storefront", []),
                    ("Promotions", Priority.MEDIUM, "Storefront", []),
                ],
            ),
            (
                "Catalog",
                Priority.HIGH,
                "Storefront",
                [
                    ("Search", Priority.HIGH, "Storefront", []),
                    ("Product Pages", Priority.MEDIUM, "Storefront", []),
                ],
            ),
            (
                "Accounts & Identity",
                Priority.HIGH,
                "Platform",
                [
                    ("Login", Priority.CRITICAL, "Platform", []),
                    ("Profile", Priority.LOW, "Platform", []),
                ],
            ),
        ],
    ),
    (
        "Mobile Apps",
        Priority.HIGH,
        "Mobile",
        [
            ("iOS App", Priority.HIGH, "Mobile", []),
            ("Android App", Priority.HIGH, "Mobile", []),
        ],
    ),
    (
        "Logistics",
        Priority.MEDIUM,
        "Fulfilment",
        [
            ("Warehouse", Priority.MEDIUM, "Fulfilment", []),
            ("Delivery Tracking", Priority.HIGH, "Fulfilment", []),
        ],
    ),
]

# username, password, role, first name, last name
DEMO_USERS = [
    ("admin", "demo-admin-pass", Role.ADMIN, "Ada", "Admin"),
    ("employee", "demo-employee-pass", Role.EMPLOYEE, "Eli", "Employee"),
    ("vendor", "demo-vendor-pass", Role.VENDOR, "Vera", "Vendor"),
    ("customer", "demo-customer-pass", Role.CUSTOMER, "Cory", "Customer"),
]
SUPERUSER = ("root", "demo-root-pass")


class Command(BaseCommand):
    help = "Fill an empty database with demo data and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--remote",
            action="append",
            default=[],
            metavar="KIND=URL",
            help="connect the demo organization to a fake remote of this kind at this URL",
        )
        parser.add_argument(
            "--web-url", default="http://127.0.0.1:8000", help="where the fakes reach Switchyard"
        )
        parser.add_argument(
            "--webhooks-out", type=Path, help="write each fake's webhook URL and secret here"
        )
        parser.add_argument(
            "--populate-remotes",
            action="store_true",
            help="sync the demo connections, map their projects, add a rule and customer issues",
        )

    def handle(self, *args, **options):
        if options["populate_remotes"]:
            self._populate_remotes()
            return
        remotes = self._remote_urls(options["remote"])
        if Organization.objects.exists():
            self.stdout.write("The database already has data; nothing seeded.")
        else:
            self._seed()
            self.stdout.write(self.style.SUCCESS("Demo data created."))
        self.stdout.write("Demo logins (username / password / role):")
        for username, password, role, *_ in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {password:<20} {Role(role).label}")
        self.stdout.write(
            f"  {SUPERUSER[0]:<10} {SUPERUSER[1]:<20} Platform superuser (admin only)"
        )
        if remotes:
            webhooks = demo_connections_ensure(
                organization=Organization.objects.get(slug="acme"),
                remote_urls=remotes,
                web_url=options["web_url"],
            )
            if options["webhooks_out"]:
                self._write_private(
                    options["webhooks_out"], {hook.kind: asdict(hook) for hook in webhooks}
                )

    @staticmethod
    def _remote_urls(values: list[str]) -> dict[str, str]:
        remotes = dict(value.partition("=")[::2] for value in values)
        if remotes and set(remotes) != set(ConnectionKind.values):
            raise CommandError(
                f"--remote needs one KIND=URL for each of {', '.join(ConnectionKind.values)}."
            )
        return remotes

    @staticmethod
    def _write_private(path: Path, data: dict) -> None:
        """Write JSON holding secrets, readable by this user only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(data, out)

    def _populate_remotes(self) -> None:
        organization = Organization.objects.filter(slug="acme").first()
        if organization is None:
            raise CommandError("No demo organization: run seed_demo first.")
        if demo_remotes_populate(organization=organization):
            self.stdout.write(
                self.style.SUCCESS(
                    "Demo remotes synced and mapped; automation rule and customer issues added."
                )
            )

    @transaction.atomic
    def _seed(self) -> None:
        organization = Organization.objects.create(name="Acme Retail", slug="acme")
        teams = {
            name: Team.objects.create(organization=organization, name=name, slug=name.lower())
            for name in TEAMS
        }
        self._add_products(organization, teams, PRODUCT_TREE, parent=None)

        vendor = Vendor.objects.create(
            organization=organization, name="Swift Couriers", contact_email="ops@swift.example"
        )
        users = {}
        for username, password, role, first_name, last_name in DEMO_USERS:
            users[username] = user_create(
                username=username,
                password=password,
                role=role,
                organization=organization if role != Role.CUSTOMER else None,
                vendor=vendor if role == Role.VENDOR else None,
                email=f"{username}@acme.example",
                first_name=first_name,
                last_name=last_name,
            )
        teams["Payments"].members.add(users["employee"], users["admin"])
        teams["Platform"].members.add(users["admin"])
        for number, days_ago, amount, status in [
            ("1041", 12, "129.90", Order.Status.DELIVERED),
            ("1042", 3, "54.50", Order.Status.SHIPPED),
        ]:
            Order.objects.create(
                organization=organization,
                customer=users["customer"],
                number=number,
                ordered_on=datetime.date.today() - datetime.timedelta(days=days_ago),
                amount=Decimal(amount),
                status=status,
            )
        User.objects.create_superuser(SUPERUSER[0], "root@acme.example", SUPERUSER[1])

    def _add_products(self, organization, teams, nodes, parent) -> None:
        for name, priority, team, children in nodes:
            product = product_create(
                organization=organization,
                name=name,
                parent=parent,
                priority=priority,
                owning_team=teams[team],
                description=f"{name} for Acme Retail's customers.",
            )
            self._add_products(organization, teams, children, parent=product)
