"""What monitoring plugs into the lower layers at start-up: sync handlers and the product mapping."""

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from switchyard.monitoring import services
from switchyard.monitoring.connectors.registry import CONNECTORS
from switchyard.monitoring.models import IssueStatus, SentryIssue, SentryProject
from switchyard.products.mapping import Mappable, register_mappable
from switchyard.sync.registry import KindHandlers, register_kind, register_operation


def _product_figures() -> dict:
    """Unresolved issues and their events per product, as subqueries over Product."""
    unresolved = (
        SentryIssue.objects.filter(
            project__product=OuterRef("pk"), status=IssueStatus.UNRESOLVED, is_deleted=False
        )
        .order_by()
        .values("project__product")
    )
    return {
        "unresolved issues": Coalesce(
            Subquery(unresolved.annotate(n=Count("id")).values("n")), 0, output_field=IntegerField()
        ),
        "events": Coalesce(
            Subquery(unresolved.annotate(n=Sum("event_count")).values("n")),
            0,
            output_field=IntegerField(),
        ),
    }


SENTRY_PROJECTS = Mappable(
    key="sentry-projects",
    model=SentryProject,
    label="Sentry projects",
    organization_lookup="connection__organization",
    group_field="sentry_organization",
    facet_field="platform",
    product_figures=_product_figures,
)


def register() -> None:
    handlers = KindHandlers(
        pull=services.sentry_pull,
        test_connection=services.sentry_test_connection,
        verify_webhook=services.sentry_verify_webhook,
        apply_webhook=services.sentry_apply_webhook,
    )
    for kind, connector in CONNECTORS.items():
        register_kind(kind, handlers, needs=connector)
    register_operation(services.SET_STATUS, services.deliver_set_status)
    register_operation(services.ADD_COMMENT, services.deliver_comment)
    register_operation(services.ASSIGN, services.deliver_assign)
    register_mappable(SENTRY_PROJECTS)
