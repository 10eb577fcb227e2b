"""The rule builder: conditions and action on one page, Preview, Run now (confirmed), effectiveness."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from switchyard.accounts.admin import OrganizationScopedAdmin
from switchyard.automation import engine, selectors, services
from switchyard.automation.models import AutomationRule
from switchyard.automation.sources import CUSTOMER, SENTRY
from switchyard.core.exceptions import ValidationFailed
from switchyard.monitoring.models import SentryProject
from switchyard.trackers.models import TrackerProject

STATE_FIELDS = ["activated_at", "pause_reason", "consecutive_failures", "last_fired_at"]


class PausedFilter(admin.SimpleListFilter):
    title = "paused"
    parameter_name = "paused"

    def lookups(self, request, model_admin):
        return [("yes", "Paused"), ("no", "Not paused")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(pause_reason="")
        if self.value() == "no":
            return queryset.filter(pause_reason="")
        return queryset


class RuleForm(forms.ModelForm):
    """The rule's fields, checked by the rules service before anything is saved."""

    class Meta:
        model = AutomationRule
        fields = [
            "name",
            "description",
            "active",
            "position",
            "source",
            *services.GROUPS["scope"],
            *services.GROUPS["conditions"],
            *services.GROUPS["action"],
            "hourly_ceiling",
        ]

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        scoped = {"connection__organization": organization}
        if "tracker_project" in self.fields:
            self.fields["tracker_project"].queryset = TrackerProject.objects.filter(
                **scoped, is_deleted=False
            ).select_related("connection")
        if "sentry_projects" in self.fields:
            self.fields["sentry_projects"].queryset = SentryProject.objects.filter(**scoped)

    def rule_fields(self) -> dict:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in self.changed_data or self.instance.pk is None
        }

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            services.rule_build(
                organization=self.organization,
                fields=self.rule_fields(),
                rule=AutomationRule.objects.get(pk=self.instance.pk) if self.instance.pk else None,
            )
        except ValidationFailed as error:
            for group_or_name, messages_ in error.fields.items():
                nested = messages_ if isinstance(messages_, dict) else {group_or_name: messages_}
                for name, texts in nested.items():
                    for text in texts:
                        self.add_error(name if name in self.fields else None, text)
        return cleaned


@admin.register(AutomationRule)
class AutomationRuleAdmin(OrganizationScopedAdmin):
    form = RuleForm
    change_form_template = "admin/automation/automationrule/change_form.html"
    list_display = [
        "name",
        "position",
        "source",
        "active",
        "paused",
        "product",
        "tracker_project",
        "matched",
        "created",
        "skipped",
        "throttled",
        "failed",
        "last_fired_at",
    ]
    list_display_links = ["name"]
    list_filter = [
        "active",
        PausedFilter,
        "source",
        ("product", admin.RelatedOnlyFieldListFilter),
        ("tracker_project", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "description"]
    readonly_fields = STATE_FIELDS
    filter_horizontal = ["sentry_projects"]
    actions = ["release_held"]
    fieldsets = [
        (None, {"fields": ["name", "description", "active", "position", "source"]}),
        ("Scope (empty: the whole organization)", {"fields": ["product", "sentry_projects"]}),
        (
            "Conditions on Sentry issues (all must hold)",
            {"fields": list(SENTRY.condition_fields)},
        ),
        (
            "Conditions on customer issues (all must hold)",
            {"fields": list(CUSTOMER.condition_fields)},
        ),
        ("Action", {"fields": [*services.GROUPS["action"], "hourly_ceiling"]}),
        ("State", {"fields": STATE_FIELDS}),
    ]

    def get_queryset(self, request):
        return selectors.with_effectiveness(super().get_queryset(request)).select_related(
            "product", "tracker_project"
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        organization = obj.organization if obj else request.user.organization

        class ScopedForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, organization=organization, **kw)

        return ScopedForm

    @admin.display(boolean=True)
    def paused(self, rule):
        return rule.is_paused

    @admin.display(ordering="matched")
    def matched(self, rule):
        return rule.matched

    @admin.display(ordering="created")
    def created(self, rule):
        return rule.created

    @admin.display(ordering="skipped")
    def skipped(self, rule):
        return rule.skipped

    @admin.display(ordering="throttled")
    def throttled(self, rule):
        return rule.throttled

    @admin.display(ordering="failed")
    def failed(self, rule):
        return rule.failed

    def save_model(self, request, obj, form, change):
        fields = form.rule_fields()
        if change:
            rule = services.rule_update(rule=AutomationRule.objects.get(pk=obj.pk), fields=fields)
        else:
            organization = request.user.organization
            rule = services.rule_create(organization=organization, fields=fields)
        obj.pk = rule.pk

    def save_related(self, request, form, formsets, change):
        pass  # the rules service saved the Sentry projects with the rule

    @admin.action(description="Release held matches (create their tickets now)")
    def release_held(self, request, queryset):
        released = sum(engine.rule_release(rule=rule, by_person=True) for rule in queryset)
        self.message_user(request, f"{released} held matches released.", messages.SUCCESS)

    # -- Preview and Run now -------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="automation_automationrule_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, object_id):
        """What the saved rule would do now; "Run now" (confirmed by POST) does exactly that."""
        rule = self.get_object(request, object_id)
        if rule is None or not self.has_view_permission(request, rule):
            raise PermissionDenied
        if request.method == "POST":
            if not self.has_change_permission(request, rule):
                raise PermissionDenied
            decisions, truncated, tally = engine.rule_run(rule=rule)
            counts = ", ".join(f"{n} {outcome}" for outcome, n in tally.as_dict().items() if n)
            self.message_user(
                request, f"Ran {rule.name}: {counts or 'nothing to do'}.", messages.SUCCESS
            )
            return redirect(reverse("admin:automation_automationrule_change", args=[rule.pk]))
        decisions, truncated = engine.rule_preview(
            rule=rule, project_ids=engine.scope_project_ids(rule)
        )
        outcomes = engine.Tally()
        for decision in decisions:
            outcomes.add(decision.outcome)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": rule,
            "title": f"Preview: {rule.name}",
            "decisions": decisions[:50],
            "count": len(decisions),
            "outcomes": {k: v for k, v in outcomes.as_dict().items() if k != "claimed"},
            "truncated": truncated,
            "run_limit": engine.RUN_LIMIT,
            "can_run": self.has_change_permission(request, rule),
        }
        return TemplateResponse(request, "admin/automation/automationrule/preview.html", context)
