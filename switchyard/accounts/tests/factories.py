"""factory_boy factories for tenants and people; each builds a valid object with no arguments."""

import datetime
from decimal import Decimal

import factory

from switchyard.accounts.models import Order, Organization, Role, Team, User, Vendor

PASSWORD = "correct horse battery staple"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Vendor {n}")


class UserFactory(factory.django.DjangoModelFactory):
    """An employee of a new organization unless told otherwise."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    role = Role.EMPLOYEE
    organization = factory.Maybe(
        factory.LazyAttribute(lambda user: user.role == Role.CUSTOMER),
        yes_declaration=None,
        no_declaration=factory.SubFactory(OrganizationFactory),
    )
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(user, create, extracted, **kwargs):
        if create:
            user.save()


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True


class CustomerFactory(UserFactory):
    role = Role.CUSTOMER


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    organization = factory.SubFactory(OrganizationFactory)
    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"{1000 + n}")
    ordered_on = factory.LazyFunction(datetime.date.today)
    amount = Decimal("10.00")
