"""REST endpoints for the product tree."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from switchyard.accounts.models import Team
from switchyard.core.api import IdField, IsOrgAdmin, IsOrgStaffReadingOrAdmin
from switchyard.core.filters import FilterSet, IdFilter
from switchyard.products import selectors, services
from switchyard.products.mapping import OnConflict, mappable, product_map, product_unmap
from switchyard.products.models import Priority, Product


class ProductSerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField()
    owning_team_name = serializers.CharField(
        source="owning_team.name", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "priority",
            "owning_team",
            "owning_team_name",
            "is_active",
            "parent",
            "full_path",
            "depth",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_parent(self, product: Product) -> int | None:
        return getattr(product, "parent_pk", None)


class ProductTreeNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="product.id")
    name = serializers.CharField(source="product.name")
    slug = serializers.CharField(source="product.slug")
    priority = serializers.CharField(source="product.priority")
    owning_team = serializers.IntegerField(source="product.owning_team_id", allow_null=True)
    is_active = serializers.BooleanField(source="product.is_active")
    full_path = serializers.CharField(source="product.full_path")
    children = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_children(self, node: dict) -> list[dict]:
        return ProductTreeNodeSerializer(node["children"], many=True).data


class ProductWriteSerializer(serializers.Serializer):
    """Input of create and update; the parent and team must be the caller's organization's."""

    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    owning_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.none(), required=False, allow_null=True
    )
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.none(), required=False, allow_null=True
    )
    is_active = serializers.BooleanField(required=False)

    def __init__(self, *args, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owning_team"].queryset = Team.objects.filter(organization=organization)
        self.fields["parent"].queryset = Product.objects.filter(organization=organization)


class ProductFilter(FilterSet):
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    team = IdFilter(field_name="owning_team_id")
    is_active = django_filters.BooleanFilter()
    parent = IdFilter(method="filter_parent", label="Children of this product id")
    is_root = django_filters.BooleanFilter(method="filter_is_root")

    class Meta:
        model = Product
        fields = ["priority", "team", "is_active", "parent", "is_root"]

    def filter_parent(self, queryset, name, value):
        parent = queryset.model.objects.filter(pk=value).only("path", "depth").first()
        if parent is None:
            return queryset.none()
        return queryset.filter(path__startswith=parent.path, depth=parent.depth + 1)

    def filter_is_root(self, queryset, name, value):
        return queryset.filter(depth=1) if value else queryset.exclude(depth=1)


class ProductViewSet(viewsets.ModelViewSet):
    """Products of the caller's organization: staff read, organization admins write."""

    permission_classes = [IsOrgStaffReadingOrAdmin]
    queryset = Product.objects.none()  # the model, for the schema; rows come from get_queryset
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["name", "slug", "description", "full_path"]
    ordering_fields = ["name", "priority", "full_path", "created_at", "updated_at"]
    ordering = ["path"]

    def get_queryset(self):
        return selectors.product_list_with_parent(organization=self.request.user.organization)

    def _write_serializer(self, **kwargs) -> ProductWriteSerializer:
        serializer = ProductWriteSerializer(
            organization=self.request.user.organization, data=self.request.data, **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return serializer

    def _output(self, product: Product, status_code: int = status.HTTP_200_OK) -> Response:
        product = self.get_queryset().get(pk=product.pk)
        return Response(ProductSerializer(product).data, status=status_code)

    @extend_schema(request=ProductWriteSerializer, responses={201: ProductSerializer})
    def create(self, request, *args, **kwargs):
        data = self._write_serializer().validated_data
        product = services.product_create(organization=request.user.organization, **data)
        return self._output(product, status.HTTP_201_CREATED)

    @extend_schema(request=ProductWriteSerializer, responses=ProductSerializer)
    def update(self, request, *args, **kwargs):
        product = self.get_object()
        data = dict(self._write_serializer(partial=kwargs.get("partial", False)).validated_data)
        product = services.product_update(product=product, **data)
        return self._output(product)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reparent",
                OpenApiTypes.BOOL,
                description="Move sub-products and mapped projects to the parent before deleting.",
            )
        ],
        responses={204: None},
    )
    def destroy(self, request, *args, **kwargs):
        reparent = request.query_params.get("reparent", "").lower() in ("1", "true", "yes")
        services.product_delete(product=self.get_object(), reparent=reparent)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses=ProductTreeNodeSerializer(many=True),
        description="The caller's organization's product tree, nested, children sorted by name.",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def tree(self, request):
        roots = selectors.product_tree(organization=request.user.organization)
        return Response(ProductTreeNodeSerializer(roots, many=True).data)


class ProductMappingSerializer(serializers.Serializer):
    project_ids = serializers.ListField(child=IdField(), allow_empty=False)
    on_conflict = serializers.ChoiceField(choices=OnConflict.choices, default=OnConflict.SKIP)


class ProductUnmappingSerializer(serializers.Serializer):
    project_ids = serializers.ListField(child=IdField(), allow_empty=False)


MappingResultSerializer = inline_serializer(
    "ProductMappingResult",
    {
        name: serializers.ListField(child=serializers.IntegerField())
        for name in ("assigned", "moved", "skipped", "unchanged")
    },
)


class ProductMappingApi(APIView):
    """Map remote projects of one kind to a product (POST) or remove the mapping (DELETE).

    One view for every mappable kind; the URL conf binds ``mappable_key``.
    """

    permission_classes = [IsOrgAdmin]
    mappable_key = ""

    def _product(self, pk) -> Product:
        return get_object_or_404(
            selectors.product_list(organization=self.request.user.organization), pk=pk
        )

    @extend_schema(request=ProductMappingSerializer, responses=MappingResultSerializer)
    def post(self, request, pk):
        product = self._product(pk)  # another organization's product is a 404, whatever the body
        serializer = ProductMappingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = product_map(
            mappable=mappable(self.mappable_key),
            product=product,
            ids=serializer.validated_data["project_ids"],
            on_conflict=serializer.validated_data["on_conflict"],
        )
        return Response(result.as_dict())

    @extend_schema(
        request=ProductUnmappingSerializer,
        responses=inline_serializer(
            "ProductUnmappingResult",
            {"unassigned": serializers.ListField(child=serializers.IntegerField())},
        ),
    )
    def delete(self, request, pk):
        product = self._product(pk)
        serializer = ProductUnmappingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        unassigned = product_unmap(
            mappable=mappable(self.mappable_key),
            organization=product.organization,
            ids=serializer.validated_data["project_ids"],
            product=product,
        )
        return Response({"unassigned": unassigned})
