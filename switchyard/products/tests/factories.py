"""Products are made through the service, so paths and full paths are real."""

import factory

from switchyard.accounts.tests.factories import OrganizationFactory
from switchyard.products.models import Product
from switchyard.products.services import product_create


class ProductFactory(factory.Factory):
    class Meta:
        model = Product

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    parent = None
    priority = "medium"

    @classmethod
    def _create(cls, model_class, **kwargs):
        parent = kwargs.pop("parent")
        if parent is not None:
            kwargs["organization"] = parent.organization
        return product_create(parent=parent, **kwargs)
