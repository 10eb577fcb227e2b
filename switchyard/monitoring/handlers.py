"""What monitoring plugs into the lower layers at start-up: sync handlers and the product mapping."""

from switchyard.monitoring import services
from switchyard.monitoring.connectors.registry import CONNECTORS
from switchyard.monitoring.models import SentryProject
from switchyard.products.mapping import Mappable, register_mappable
from switchyard.sync.registry import KindHandlers, register_kind, register_operation

SENTRY_PROJECTS = Mappable(
    key="sentry-projects",
    model=SentryProject,
    label="Sentry projects",
    organization_lookup="connection__organization",
    group_field="sentry_organization",
    facet_field="platform",
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
