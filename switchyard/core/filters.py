"""The filters every list endpoint uses: ids, foreign keys included, are checked as ids, a
refused search names its parameter, and an ordering is a total order."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import models
from django_filters import rest_framework
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters
from rest_framework.exceptions import ValidationError

from switchyard.core.api import ID_ERRORS, MAX_ID, IdField


class IdFormField(forms.IntegerField):
    default_error_messages = ID_ERRORS

    def __init__(self, **kwargs) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


@extend_schema_field(IdField())
class IdFilter(django_filters.NumberFilter):
    """Filter by the id of a row (a foreign key or a ``method``): ``?team=1e20`` is a 400.

    It never checks that the row exists: the filtered queryset is already scoped to the caller's
    organization, so another organization's id simply matches nothing.
    """

    field_class = IdFormField


class FilterSet(rest_framework.FilterSet):
    """django-filter's FilterSet with foreign keys in ``Meta.fields`` filtered as ids."""

    FILTER_DEFAULTS = {
        **rest_framework.FilterSet.FILTER_DEFAULTS,
        models.ForeignKey: {"filter_class": IdFilter},
        models.OneToOneField: {"filter_class": IdFilter},
    }


class FilterBackend(rest_framework.DjangoFilterBackend):
    """The API's filter backend: views' ``filterset_fields`` build a FilterSet on ours too."""

    filterset_base = FilterSet


class SearchFilter(filters.SearchFilter):
    """DRF's search, whose refusal of a value (a null character) names the parameter as every
    other filter's refusal does, instead of answering a bare list."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except ValidationError as error:
            raise ValidationError({self.search_param: error.detail}) from error


class OrderingFilter(filters.OrderingFilter):
    """DRF's ``?ordering=``, made a total order: rows equal in the fields asked for follow the
    model's own ordering, then the id. Without it, PostgreSQL may return ties in another order
    from one page to the next, so a numbered walk could repeat a row and skip another."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        return total_order(ordering, queryset.model) if ordering else ordering


def total_order(ordering, model: type[models.Model]) -> list:
    named = {_field_name(field) for field in ordering}
    ties = [
        field
        for field in model._meta.ordering
        if isinstance(field, str) and _field_name(field) not in named
    ]
    tie_names = named | {_field_name(field) for field in ties}
    return [*ordering, *ties, *([] if tie_names & {"pk", "id"} else ["-pk"])]


def _field_name(field) -> str:
    return str(field).lstrip("-")
