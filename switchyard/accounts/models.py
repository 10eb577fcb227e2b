"""Tenants and people: organizations, users and their roles, teams, vendors, orders; API tokens
and the audit log."""

from __future__ import annotations

from auditlog.models import AbstractLogEntry
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

from switchyard.accounts.audit import AuditEntryManager


class Organization(models.Model):
    """A tenant: a company whose products, connections and issues are its own."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Organization admin"
    EMPLOYEE = "employee", "Employee"
    VENDOR = "vendor", "Vendor"
    CUSTOMER = "customer", "Customer"


STAFF_ROLES = frozenset({Role.ADMIN, Role.EMPLOYEE, Role.VENDOR})


class User(AbstractUser):
    """A person: staff of one organization (admin, employee, vendor) or a customer of several."""

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CUSTOMER)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    vendor = models.ForeignKey(
        "accounts.Vendor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
        help_text="For vendor staff: the vendor profile they work for.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="staff_belong_to_an_organization",
                condition=Q(role="customer") | Q(organization__isnull=False),
            ),
            models.CheckConstraint(
                name="customers_have_no_organization",
                condition=~Q(role="customer") | Q(organization__isnull=True),
            ),
        ]

    @property
    def is_customer(self) -> bool:
        return self.role == Role.CUSTOMER

    @property
    def is_org_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_org_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Team(models.Model):
    """A group of employees inside an organization; teams own products."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120)
    members = models.ManyToManyField(User, blank=True, related_name="teams")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"], name="team_slug_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Vendor(models.Model):
    """A vendor profile inside an organization; customer issues may name one."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="vendors")
    name = models.CharField(max_length=200)
    contact_email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="vendor_name_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """A customer's order with an organization, which customer issues may reference."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="orders")
    customer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(max_length=64)
    ordered_on = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)

    class Meta:
        ordering = ["-ordered_on", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="order_number_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"


class ApiToken(AbstractAuthToken):
    """An API token, one per login: stored as a digest, expiring when unused, and bound to the
    password it was issued under (changing the password revokes it)."""

    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    password_fingerprint = models.CharField(max_length=128)
    user_agent = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"API token of {self.user} from {self.created:%Y-%m-%d %H:%M}"


class AuditEntry(AbstractLogEntry):
    """One recorded write (who, which object, the fields before and after, when), kept with the
    organization the object belongs to so that its admins can read it."""

    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["organization", "-timestamp"])]
