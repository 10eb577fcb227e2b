"""Where an organization's customer issues go: its tracker project, or the team the REST
contract's ``linear_team_id`` names."""

from __future__ import annotations

from django.db import transaction

from switchyard.accounts.models import Organization
from switchyard.core.exceptions import ValidationFailed
from switchyard.support.models import SupportSettings
from switchyard.sync.models import Connection
from switchyard.trackers.connectors.registry import CONNECTORS
from switchyard.trackers.models import TrackerProject


def _contract_kinds() -> list[str]:
    """The tracker kinds whose teams and issues the REST contract's ``linear_*`` fields describe."""
    return [kind for kind, connector in CONNECTORS.items() if connector.customer_issue_contract]


def described_by_contract(connection: Connection) -> bool:
    """Whether the REST contract's ``linear_*`` fields describe this connection's tickets."""
    return connection.kind in _contract_kinds()


def support_project(*, organization: Organization) -> TrackerProject | None:
    """The tracker project receiving the organization's issues."""
    settings = (
        SupportSettings.objects.filter(organization=organization)
        .select_related("tracker_project__connection")
        .first()
    )
    if settings is None:
        return None
    if settings.tracker_project and not settings.tracker_project.is_deleted:
        return settings.tracker_project
    if settings.linear_team_id:
        return (
            TrackerProject.objects.filter(
                connection__organization=organization,
                connection__kind__in=_contract_kinds(),
                external_id=settings.linear_team_id,
                is_deleted=False,
            )
            .select_related("connection")
            .first()
        )
    return None


def support_project_required(*, organization: Organization) -> TrackerProject:
    """The tracker project receiving the organization's issues; refused when there is none."""
    project = support_project(organization=organization)
    if project is None:
        raise ValidationFailed(
            "No tracker.",
            fields={
                "linear_team_id": ["The organization has no Linear team (or tracker project) set."]
            },
        )
    return project


@transaction.atomic
def organization_set_linear_team(
    *, organization: Organization, linear_team_id: str
) -> SupportSettings:
    """Send the organization's customer issues to the team ``linear_team_id`` names from now on."""
    settings, _ = SupportSettings.objects.get_or_create(organization=organization)
    settings.linear_team_id = linear_team_id
    settings.save(update_fields=["linear_team_id"])
    return settings


@transaction.atomic
def support_settings_update(
    *, organization: Organization, linear_team_id: str, tracker_project: TrackerProject | None
) -> SupportSettings:
    """Set where the organization's customer issues go: a tracker project, or a ``linear_team_id``.

    The caller offers only the organization's own tracker projects (the admin scopes its choices).
    """
    settings, _ = SupportSettings.objects.update_or_create(
        organization=organization,
        defaults={"linear_team_id": linear_team_id, "tracker_project": tracker_project},
    )
    return settings


def organization_linear_team_id(*, organization: Organization) -> str | None:
    settings = SupportSettings.objects.filter(organization=organization).first()
    return (settings.linear_team_id or None) if settings else None
