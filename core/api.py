"""The API's base classes: scoping applied once, and services' errors translated once.

Every viewset names its model; the base reads through `Model.objects.visible_to(user, action)`
with the action of the request's method, so a PATCH of an object the caller may only read is a
403 and one outside the scope a 404. A service's `ValidationError` becomes a 400 with field
errors, its `PermissionDenied` a 403, through the exception handler below.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Manager, Model, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, pagination, serializers, viewsets
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import field_messages
from .pagination import counted_as, sorted_on
from .scoping import Action, action_for_method


class ScopedViewSetMixin:
    model: type[Model]
    # The columns a row of the list action shows (Django's `only()` names, the pk always comes
    # along): the list reads these alone; empty reads every column.
    list_columns: tuple[str, ...] = ()
    # The list action reads value rows, not model instances, when its serializer (a
    # `LeanListSerializer`'s child) reads nothing but columns (see `value_keys`).
    list_values: bool = False
    # The list is sorted and cut into a page on its own table, and only the page's rows are then
    # read with what they join (`sorted_on`): for a list whose joins are wide and whose scope
    # holds thousands of rows (a district's 2,379 matches were each joined to their resource
    # and unit before the sort: 24 ms; the page's keys alone, then 50 rows joined: 4).
    sorted_on_own_table: bool = False

    def scope_action(self) -> Action:
        return action_for_method(self.request.method)

    def get_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user, Action.VIEW)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if getattr(self, "action", None) != "list":
            return queryset
        serializer_class = self.get_serializer_class()
        keys = value_keys_of(serializer_class) if self.list_values else None
        if keys is not None:
            # A nested list is read as values for the page (`ChildRows`), not prefetched.
            rows = (
                queryset.prefetch_related(None)
                .annotate(**value_expressions_of(serializer_class))
                .values(*value_columns(keys))
            )
            if self.sorted_on_own_table:
                return sorted_on(rows, queryset.select_related(None))
            return counted_as(rows, queryset)
        if self.list_columns:
            return counted_as(queryset.only(*self.list_columns), queryset)
        if self.sorted_on_own_table:
            return sorted_on(queryset, queryset.select_related(None))
        return queryset

    def get_object(self):
        # Found among what the caller may read (else 404); changing needs the change scope.
        obj = super().get_object()
        action = self.scope_action()
        if (
            action != Action.VIEW
            and not self.model.objects.visible_to(self.request.user, action)
            .filter(pk=obj.pk)
            .exists()
        ):
            raise exceptions.PermissionDenied
        return obj


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The API's base: every list and detail reads through the model's scoping entry point."""


def form_serializer(form_class, name: str, **kwargs) -> serializers.Serializer:
    """The OpenAPI description of an endpoint that takes a row form's fields (`core.bulk`), so
    the form stays the one declaration of its input."""
    from django import forms as django_forms
    from drf_spectacular.utils import inline_serializer

    fields = {}
    for field_name, field in form_class.base_fields.items():
        options = {"required": False, "help_text": field.help_text or field.label}
        if isinstance(field, django_forms.DateField):
            fields[field_name] = serializers.DateField(allow_null=True, **options)
        else:
            fields[field_name] = serializers.CharField(allow_blank=True, **options)
    return inline_serializer(name, fields=fields, **kwargs)


def service_errors(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(field_messages(error))


def exception_handler(exc, context):
    """DRF's handler, taught that a service's Django ValidationError is a 400 with field
    errors (DRF already maps Django's PermissionDenied and Http404)."""
    if isinstance(exc, DjangoValidationError):
        exc = service_errors(exc)
    if isinstance(exc, exceptions.Throttled):
        # DRF's own wording is English-only here; ours names the wait (Retry-After too).
        import math

        wait = max(1, math.ceil(exc.wait or 1))
        exc = exceptions.Throttled(wait=wait)
        exc.detail = exceptions.ErrorDetail(
            _("请求过于频繁，请%(seconds)d秒后再试。") % {"seconds": wait}, code="throttled"
        )
    return drf_exception_handler(exc, context)


@extend_schema_field(OpenApiTypes.STR)
class PkUrlField(serializers.Field):
    """The URL of a row's own page by its key (`reverse(name, args=[pk])`), read off the `id`
    column, so a value list gives it as the instance does. It reads nothing of the request."""

    context_free = True

    def __init__(self, url_name: str, **kwargs) -> None:
        kwargs.update(source="id", read_only=True)
        super().__init__(**kwargs)
        self.url_name = url_name

    def to_representation(self, value) -> str:
        from .views import pk_urls

        url = self.__dict__.get("_url")
        if url is None:
            url = self._url = pk_urls(self.url_name)
        return url(value)


class KeysetPagination(pagination.CursorPagination):
    """Keyset (cursor) pagination for the big lists where no one needs a count (service
    records: three million at Beijing scale). The page is read from an index in the list's
    order, whatever the scope holds: no OFFSET, no count(*). `?page_size=` up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-pk",)


class LeanListSerializer(serializers.ListSerializer):
    """A list of rows built straight into dicts: the same output as DRF's, with what DRF works
    out again for every field of every row (the field's source, whether it is a callable, a
    primary key's stand-in object) worked out once per list. A serializer opts in with
    `Meta.list_serializer_class = LeanListSerializer`; its schema is the child's, unchanged.

    Plain attributes and foreign keys' ids are read directly; a dotted source (`category.name`)
    walks its attributes, and anything out of the ordinary on a row (a missing object, a
    callable) is left to the field's own `get_attribute`, as are method fields and nested
    serializers, so every value is what DRF itself would give."""

    def to_representation(self, data):
        rows = list(data.all() if isinstance(data, Manager) else data)
        if not rows:  # as DRF's: the child's fields are not even built
            return []
        if isinstance(rows[0], dict):
            return self.value_rows(rows)
        plan = [lean_field(field) for field in self.child._readable_fields]
        out = []
        for row in rows:
            item = {}
            for name, read, convert, field in plan:
                if read is None:
                    value = drf_value(field, row)
                    if value is SKIP:
                        continue
                    item[name] = value
                    continue
                try:
                    value = read(row)
                except (AttributeError, KeyError, ObjectDoesNotExist):
                    value = drf_value(field, row)
                    if value is SKIP:
                        continue
                    item[name] = value
                    continue
                if value is None:
                    item[name] = None
                elif callable(value):
                    item[name] = drf_value(field, row)
                else:
                    item[name] = convert(value)
            out.append(item)
        return out

    def value_rows(self, rows: list[dict]) -> list[dict]:
        """Rows read as values under `value_keys`' keys: each value converted as the field
        converts it (None stays None, as DRF leaves it)."""
        plan = value_plan_of(type(self.child)) or value_plan(self.child)
        children = {
            name: convert.read([row[key] for row in rows])
            for name, key, convert in plan
            if isinstance(convert, ChildRows)
        }
        plan = [
            (name, key, convert.bind() if isinstance(convert, LocalDateTimes) else convert)
            for name, key, convert in plan
        ]
        out = []
        for row in rows:
            item = {}
            for name, key, convert in plan:
                if convert is key:  # a `RowValue`: worked out of the whole row
                    item[name] = key.compute(row)
                    continue
                value = row[key]
                if name in children:
                    item[name] = children[name].get(value, [])
                else:
                    item[name] = None if value is None else convert(value)
            out.append(item)
        return out


def value_plan(serializer) -> tuple[tuple[str, str, Callable], ...]:
    """(output name, value key, conversion) for each readable field of a value list; a nested
    list of rows pointing at this one (`ChildRows`) is read for the whole page at once."""
    plan = []
    for field, key in zip(
        serializer._readable_fields, value_keys_of(type(serializer)), strict=True
    ):
        if isinstance(field, serializers.ListSerializer):
            plan.append((field.field_name, key, ChildRows.of(serializer, field)))
            continue
        if isinstance(key, RowValue):
            plan.append((field.field_name, key, key))
            continue
        name, _read, convert, _field = lean_field(field)
        if type(field) is serializers.DateTimeField:
            convert = LocalDateTimes(field)
        plan.append((name, key, convert or identity))
    return tuple(plan)


@dataclass(frozen=True)
class LocalDateTimes:
    """A `DateTimeField`'s conversion for one list: DRF's own, with the time zone it converts
    to read once for the list. DRF asks for the current time zone for every value (a lookup
    in asgiref's context-local storage, 26 µs: 1.3 ms of a page of 50 records)."""

    field: serializers.DateTimeField

    def bind(self) -> Callable:
        from datetime import datetime

        from rest_framework.settings import api_settings

        field = self.field
        output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
        zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
        if not isinstance(output_format, str) or output_format.lower() != "iso-8601" or not zone:
            return field.to_representation

        def convert(value):
            if not isinstance(value, datetime) or value.utcoffset() is None:
                return field.to_representation(value)  # naive, or a string: as DRF has it
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:
                return field.to_representation(value)  # DRF's own error
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return convert


@dataclass(frozen=True)
class ChildRows:
    """A nested list of the rows pointing at each row of a value list (a demand's attachments):
    read in one query for the page, in their order of creation, as value rows of the child's
    own serializer, where DRF would prefetch and serialize instances."""

    model: type[Model]
    link: str  # the child's column pointing at the parent row
    serializer_class: type

    @classmethod
    def of(cls, serializer, field) -> ChildRows:
        relation = serializer.Meta.model._meta.get_field(field.source)
        return cls(relation.related_model, relation.field.attname, type(field.child))

    def read(self, parent_keys: list) -> dict:
        # Scoped by its parents: the keys are those of the page, read through the scoping
        # entry point, as the prefetch this replaces was.
        keys = value_keys_of(self.serializer_class)
        found = (
            self.model._default_manager.filter(**{f"{self.link}__in": parent_keys})
            .annotate(**value_expressions_of(self.serializer_class))
            .order_by("pk")
            .values(self.link, *value_columns(keys))
        )
        children = list(found)
        rows = self.serializer_class(many=True).value_rows(children) if children else []
        by_parent: dict = {}
        for child, row in zip(children, rows, strict=True):
            by_parent.setdefault(child[self.link], []).append(row)
        return by_parent


# The fields whose conversion of a value reads nothing of the request (no context, no parent):
# a plan of these alone is the same in every request. A file's URL, a hyperlink or a field of
# a class of our own reads the request, and is worked out per request.
CONTEXT_FREE_FIELDS = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.DecimalField,
    serializers.FloatField,
    serializers.IntegerField,
    serializers.JSONField,
    serializers.PrimaryKeyRelatedField,
    serializers.ReadOnlyField,
    serializers.SerializerMethodField,  # only as a value expression: the value is the row's
)


@functools.cache
def value_plan_of(serializer_class) -> tuple[tuple[str, str, Callable], ...] | None:
    """`value_plan` worked out once per process when every field is context-free, so a value
    list builds no fields at all (a serializer's fields cost 0.4-1.8 ms to build); None when a
    field may read the request, or the list reads instances."""
    if value_keys_of(serializer_class) is None:
        return None
    serializer = serializer_class()
    if not all(map(context_free, serializer._readable_fields)):
        return None
    return value_plan(serializer)


def context_free(field) -> bool:
    if isinstance(field, serializers.ListSerializer):  # nested value rows: as their fields are
        return value_plan_of(type(field.child)) is not None
    if getattr(field, "context_free", False):  # a field of ours that says so
        return True
    # DRF's own kinds of these (BigIntegerField, EmailField ...); a class of ours may not be.
    return isinstance(field, CONTEXT_FREE_FIELDS) and type(field).__module__.startswith(
        "rest_framework."
    )


def value_expressions_of(serializer_class) -> dict:
    """The expressions a value list annotates, by field name (`Meta.value_expressions`): what
    the instance's property or method computes, written as SQL of the same row."""
    return dict(getattr(getattr(serializer_class, "Meta", None), "value_expressions", {}))


@dataclass(frozen=True)
class RowValue:
    """A field of a value list worked out in Python from several columns of its row
    (`Meta.row_values`, by field name), for what a property of the instance computes from the
    rows it joins and SQL would word less plainly (a match's reason with the capacity now)."""

    columns: tuple[str, ...]
    compute: Callable[[dict], object]


def value_columns(keys) -> list[str]:
    """The `values()` names of a list's keys: each key, and the columns of each `RowValue`."""
    columns: list[str] = []
    for key in keys:
        for column in key.columns if isinstance(key, RowValue) else (key,):
            if column not in columns:
                columns.append(column)
    return columns


@functools.cache
def value_keys_of(serializer_class) -> tuple[str | RowValue, ...] | None:
    """`value_keys` of a serializer class, worked out once per process: the keys follow from the
    class's declared and model fields alone (no serializer here adds fields per request), and
    building the fields to find them cost 0.8 ms, in every list request twice."""
    keys = value_keys(serializer_class())
    return None if keys is None else tuple(keys)


def value_keys(serializer) -> list[str | RowValue] | None:
    """The `values()` keys a list of the serializer reads, one per readable field, when every
    field reads a column and so a value row gives what the instance gives: a column of the
    model, a foreign key's id, or a dotted source through foreign keys that are never null, or
    whose field shows None for a missing object (`default=None`), or a `RowValue` of several
    columns (`Meta.row_values`). None when one does not (a method field, a nested serializer, a
    property): that list reads instances."""
    from django.db.models import ForeignKey

    list_class = getattr(getattr(serializer, "Meta", None), "list_serializer_class", None)
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    if model is None or list_class is None or not issubclass(list_class, LeanListSerializer):
        return None
    # Names the list reads as annotations: of `value_expressions`, or annotated by the list's
    # own queryset (`Meta.annotated`).
    annotations = {
        *value_expressions_of(type(serializer)),
        *getattr(serializer.Meta, "annotated", ()),
    }
    row_values = getattr(serializer.Meta, "row_values", {})
    keys = []
    for field in serializer._readable_fields:
        if field.field_name in row_values:
            keys.append(row_values[field.field_name])
            continue
        if field.field_name in annotations and not isinstance(field, serializers.BaseSerializer):
            keys.append(field.field_name)
            continue
        if isinstance(field, serializers.ListSerializer):
            # Rows pointing at this one, read as values of their own serializer (`ChildRows`),
            # grouped by this row's key.
            try:
                relation = model._meta.get_field(field.source)
            except FieldDoesNotExist:
                return None
            if not relation.one_to_many or value_keys_of(type(field.child)) is None:
                return None
            keys.append("pk")
            continue
        name, read, convert, _field = lean_field(field)
        if read is None:
            return None
        attrs = field.source_attrs
        current = model
        for index, attr in enumerate(attrs):
            try:
                model_field = current._meta.get_field(attr)
            except FieldDoesNotExist:
                return None
            last = index == len(attrs) - 1
            if last:
                if not model_field.concrete or model_field.many_to_many:
                    return None
                break
            if not isinstance(model_field, ForeignKey):
                return None
            if model_field.null and field.default is not None:
                return None
            current = model_field.related_model
        keys.append("__".join(attrs))
    return keys


SKIP = object()


def drf_value(field, row):
    """One field of one row exactly as `Serializer.to_representation` computes it."""
    try:
        attribute = field.get_attribute(row)
    except SkipField:
        return SKIP
    check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
    return None if check is None else field.to_representation(attribute)


def lean_field(field) -> tuple:
    """(name, read the raw value from a row or None for DRF's own way, convert it, the field)."""
    from operator import attrgetter

    name = field.field_name
    if isinstance(field, serializers.SerializerMethodField):
        return (name, None, None, field)
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        model = getattr(getattr(field.parent, "Meta", None), "model", None)
        if (
            model is None
            or field.pk_field is not None
            or len(field.source_attrs) != 1
            or not field.use_pk_only_optimization()
        ):
            return (name, None, None, field)
        try:
            attname = getattr(model._meta.get_field(field.source_attrs[0]), "attname", None)
        except FieldDoesNotExist:
            attname = None
        if attname is None:  # not a foreign key of the model's own (a property, a reverse one)
            return (name, None, None, field)
        return (name, attrgetter(attname), identity, field)
    if isinstance(field, (serializers.BaseSerializer, serializers.RelatedField)) or not (
        field.source_attrs
    ):
        return (name, None, None, field)
    convert = {
        serializers.CharField: str,
        serializers.IntegerField: int,
        serializers.BigIntegerField: int,
    }.get(type(field), field.to_representation)
    return (name, attrgetter(".".join(field.source_attrs)), convert, field)


def identity(value):
    return value


# --- the schema: the error responses every operation really returns ------------------------------


class BulkFailureSerializer(serializers.Serializer):
    """One bad item of a bulk call (`core.bulk.BulkRejected`); index null for what concerns no
    single item (not a list, too many items, the whole refused)."""

    index = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


def bulk_payload(request):
    """A bulk call's body; one that is not JSON at all is refused in the bulk error's own shape
    (a list, index null), like every other refusal of the whole."""
    from .bulk import BulkRejected
    from .errors import NON_FIELD

    try:
        return request.data
    except exceptions.ParseError as error:
        raise BulkRejected([{"index": None, "errors": {NON_FIELD: [str(error.detail)]}}]) from error


def bulk_failures():
    """The 400 body of every bulk endpoint: a list of failures, nothing created."""
    from drf_spectacular.utils import OpenApiResponse

    return OpenApiResponse(BulkFailureSerializer(many=True), description="按项列出的错误；均未创建")


ERROR_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "拒绝或找不到的原因（中文）",
}
VALIDATION_ERRORS = {
    "type": "object",
    "additionalProperties": {},
    "description": (
        "按字段列出的错误：{字段: [信息, …]}，不属于任何字段的在 non_field_errors 下；"
        "嵌套的字段按其结构给出"
    ),
}


class ErrorsAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, taught once which error responses an operation gives, so
    no view has to list them: 400 where it takes a body or query parameters (field errors),
    403 wherever it needs a signed-in user (not signed in, or a policy's refusal), 404 where a
    path or body names an object or a list is paged, 429 where it is throttled. An operation
    that documents a code itself keeps its own."""

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        for code, schema, description in self.error_responses():
            if code not in bodies:
                bodies[code] = {
                    "content": {"application/json": {"schema": schema}},
                    "description": description,
                }
        return bodies

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        # drf-spectacular drops the list of a `many=True` body outside 2xx (a bulk call's 400 is
        # a list of failures): keep it, so the schema says what the body is.
        from drf_spectacular.plumbing import force_instance, is_list_serializer
        from drf_spectacular.utils import OpenApiResponse

        inner = serializer.response if isinstance(serializer, OpenApiResponse) else serializer
        inner = force_instance(inner)
        if str(status_code) >= "400" and is_list_serializer(inner):
            description = serializer.description if isinstance(serializer, OpenApiResponse) else ""
            response = super()._get_response_for_code(
                OpenApiResponse(inner.child, description=description),
                status_code,
                media_types,
                direction,
            )
            for media in response.get("content", {}).values():
                media["schema"] = {"type": "array", "items": media["schema"]}
            return response
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def error_responses(self) -> list[tuple[str, dict, str]]:
        from rest_framework.permissions import AllowAny

        method = self.method.upper()
        has_body = method in ("POST", "PUT", "PATCH")
        parameters = self._get_parameters()
        path_params = any(p.get("in") == "path" for p in parameters)
        # A page number past the end, or a cursor that is not one, is a 404 (DRF's pagination);
        # any other query parameter may be refused (400).
        query = [p["name"] for p in parameters if p.get("in") == "query"]
        paged = "page" in query or "cursor" in query
        errors = []
        if has_body or any(name not in ("page", "cursor") for name in query):
            errors.append(("400", VALIDATION_ERRORS, "输入有误"))
        permissions = getattr(self.view, "permission_classes", ())
        if any(p is not AllowAny for p in permissions):
            errors.append(("403", ERROR_DETAIL, "未登录，或无权进行该操作"))
        if path_params or paged or has_body:
            errors.append(("404", ERROR_DETAIL, "找不到（或不在您的范围内）"))
        if self.view.get_throttles() or getattr(self.view, "locks_out", False):
            errors.append(("429", ERROR_DETAIL, "请求过于频繁，请稍后再试"))
        return errors
