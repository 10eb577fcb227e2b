"""The customer portal: who may open it, raising with good and bad input, comments, query counts."""

import pytest

from switchyard.accounts.tests.factories import OrderFactory, VendorFactory
from switchyard.support.models import CustomerIssue, IssueComment
from switchyard.web.tests.factories import CustomerIssueFactory

pytestmark = pytest.mark.django_db


def raise_data(org, **overrides):
    return {
        "organization": org.pk,
        "title": "Order 1042 arrived damaged",
        "description": "The box was crushed.",
        "priority": "high",
        "category": "delivery",
        "vendor": "",
        "order": "",
        **overrides,
    }


def test_anonymous_people_sign_in_first(client):
    for url in ["/portal/", "/portal/raise/", "/portal/issues/1/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("role", ["admin", "employee", "vendor"])
def test_staff_get_a_403_page_in_the_portal(signed_in, people, role):
    client = signed_in(people[role])
    for url in ["/portal/", "/portal/raise/"]:
        response = client.get(url)
        assert response.status_code == 403
        assert "Only customers may do this." in response.content.decode()


def test_the_header_names_the_real_role(signed_in, people, django_user_model):
    html = signed_in(people["customer"]).get("/portal/").content.decode()
    assert 'data-testid="role">Customer<' in html and "Cory Customer" in html
    superuser = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    html = signed_in(superuser).get("/", follow=True).content.decode()
    assert 'data-testid="role">Platform admin<' in html and ">Customer<" not in html
    html = signed_in(people["vendor"]).get("/", follow=True).content.decode()
    assert 'data-testid="role">Vendor<' in html and "My issues" not in html


def test_customer_raises_an_issue_and_reads_it(signed_in, people, org):
    customer = people["customer"]
    order = OrderFactory(organization=org, customer=customer, number="1042")
    client = signed_in(customer)
    response = client.post(
        "/portal/raise/",
        raise_data(org, vendor=people["vendor_profile"].pk, order=order.pk),
        follow=True,
    )
    issue = CustomerIssue.objects.get()
    assert response.redirect_chain[-1][0] == f"/portal/issues/{issue.pk}/"
    html = response.content.decode()
    assert "Order 1042 arrived damaged" in html and f"{issue.issue_number} raised" in html
    assert issue.raised_by_customer == customer and issue.order == order
    assert issue.vendor == people["vendor_profile"] and issue.priority == "high"

    listing = client.get("/portal/").content.decode()
    assert issue.issue_number in listing


def test_the_vendor_and_order_lists_follow_the_chosen_organization(signed_in, people, org):
    customer = people["customer"]
    OrderFactory(organization=org, customer=customer, number="1042")
    other = people["outsider"].organization
    OrderFactory(organization=other, customer=customer, number="7777")
    VendorFactory(organization=other, name="Elsewhere Ltd")
    client = signed_in(customer)
    html = client.get(
        f"/portal/raise/choices/?organization={org.pk}", headers={"HX-Request": "true"}
    ).content.decode()
    assert "Swift Couriers" in html and "Order 1042" in html
    assert "Elsewhere Ltd" not in html and "7777" not in html
    html = client.get(f"/portal/raise/choices/?organization={other.pk}").content.decode()
    assert "Elsewhere Ltd" in html and "7777" in html and "Swift Couriers" not in html
    assert (
        'id="org-choices"' in client.get("/portal/raise/choices/?organization=x").content.decode()
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"description": ""}, "description", "This field is required."),
        ({"priority": "whenever"}, "priority", "Select a valid choice."),
        ({"category": "nonsense"}, "category", "Select a valid choice."),
        ({"organization": 999999}, "organization", "Select a valid choice."),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_kept(
    signed_in, people, org, overrides, field, message
):
    client = signed_in(people["customer"])
    data = raise_data(org, **overrides)
    response = client.post("/portal/raise/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_{field}-error">{message}' in html
    assert CustomerIssue.objects.count() == 0
    if field != "title":
        assert 'value="Order 1042 arrived damaged"' in html  # what was typed is kept


def test_another_organizations_vendor_or_someone_elses_order_is_refused(signed_in, people, org):
    customer = people["customer"]
    foreign_vendor = VendorFactory(organization=people["outsider"].organization)
    someone_elses = OrderFactory(organization=org)
    client = signed_in(customer)
    html = client.post("/portal/raise/", raise_data(org, vendor=foreign_vendor.pk)).content.decode()
    assert 'id="id_vendor-error"' in html
    html = client.post("/portal/raise/", raise_data(org, order=someone_elses.pk)).content.decode()
    assert 'id="id_order-error"' in html
    assert CustomerIssue.objects.count() == 0


def test_a_customer_sees_only_their_own_issues(signed_in, people, org):
    mine = CustomerIssueFactory(organization=org, raised_by_customer=people["customer"])
    theirs = CustomerIssueFactory(organization=org, title="Someone else's")
    client = signed_in(people["customer"])
    html = client.get("/portal/").content.decode()
    assert mine.title in html and theirs.title not in html
    assert client.get(f"/portal/issues/{theirs.pk}/").status_code == 404
    assert client.post(f"/portal/issues/{theirs.pk}/", {"text": "hi"}).status_code == 404
    assert IssueComment.objects.count() == 0


def test_comments_and_their_validation(signed_in, people, org):
    issue = CustomerIssueFactory(organization=org, raised_by_customer=people["customer"])
    client = signed_in(people["customer"])
    response = client.post(f"/portal/issues/{issue.pk}/", {"text": "   "})
    assert 'id="id_text-error">This field is required.' in response.content.decode()
    response = client.post(f"/portal/issues/{issue.pk}/", {"text": "Any news?"}, follow=True)
    assert "Any news?" in response.content.decode()
    assert IssueComment.objects.get().author == people["customer"]


def test_my_issues_filter_by_status_through_the_url(signed_in, people, org):
    customer = people["customer"]
    CustomerIssueFactory(organization=org, raised_by_customer=customer, title="Still open")
    CustomerIssueFactory(
        organization=org, raised_by_customer=customer, title="All done", status="resolved"
    )
    html = signed_in(customer).get("/portal/?status=resolved").content.decode()
    assert "All done" in html and "Still open" not in html
    html = signed_in(customer).get("/portal/?status=bogus").content.decode()
    assert "Select a valid choice" in html or "All done" in html


def test_my_issues_costs_the_same_queries_at_any_page_size(
    signed_in, people, org, django_assert_max_num_queries
):
    client = signed_in(people["customer"])
    for _ in range(30):
        CustomerIssueFactory(organization=org, raised_by_customer=people["customer"])
    client.get("/portal/?page_size=1")
    with django_assert_max_num_queries(6):
        small = client.get("/portal/?page_size=1")
    with django_assert_max_num_queries(6):
        large = client.get("/portal/?page_size=200")
    assert small.content.decode().count("/portal/issues/") < large.content.decode().count(
        "/portal/issues/"
    )


def test_an_empty_form_shows_every_required_field(signed_in, people):
    html = signed_in(people["customer"]).post("/portal/raise/", {}).content.decode()
    for field in ("organization", "title", "description", "priority", "category"):
        assert f'id="id_{field}-error">This field is required.' in html
    assert CustomerIssue.objects.count() == 0
