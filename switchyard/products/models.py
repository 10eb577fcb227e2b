"""The product tree: each organization's business products, any depth, with priority and owner."""

from __future__ import annotations

from django.db import models
from treebeard.mp_tree import MP_Node

from switchyard.accounts.models import Organization, Team

PATH_SEPARATOR = " > "


class Priority(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Product(MP_Node):
    """A business product, a node of its organization's tree (materialized path, django-treebeard).

    ``full_path`` ("E-commerce Platform > Checkout > Payments") is stored so that every list can
    show and search it without walking ancestors; the services keep it current on create, rename
    and move.

    The roots of every organization share treebeard's one root level, so new nodes are appended
    (no ``node_order_by``): a sorted insert would shift other organizations' paths, and a rename
    would leave the level unsorted for the next insert. Readers sort siblings by name.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="products"
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200, blank=True, help_text="Generated from the name when left blank."
    )
    description = models.TextField(blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    owning_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    is_active = models.BooleanField(default=True)
    full_path = models.CharField(max_length=2000, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"], name="product_slug_unique_per_org"
            )
        ]
        indexes = [models.Index(fields=["organization", "priority"])]

    def __str__(self) -> str:
        return self.full_path or self.name

    @property
    def parent_path(self) -> str | None:
        """The materialized path of this product's parent (None for a root)."""
        return self.path[: -self.steplen] or None
