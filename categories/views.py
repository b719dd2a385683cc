"""Pages of the tenant's taxonomy of needs (需求类别): everyone in the tenant reads the list; the
tenant administrators at the root of the tree add and edit categories and their deadlines.

A category of another tenant is a 404, like one that does not exist; a user of the tenant who is
not its root administrator gets 403 on every write.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from categories import services
from categories.policies import ensure_may_edit_categories, may_edit_categories
from categories.services import ESCALATION_LEVELS, escalation_field
from core.forms import add_service_errors
from core.scoping import Action
from core.views import ScopedPageMixin

from .forms import CategoryForm
from .models import Category


def category_data(values: dict) -> services.CategoryData:
    return services.CategoryData(
        name=values.get("name", ""),
        keywords=values.get("keywords", ""),
        position=values.get("position", ""),
        is_active=bool(values.get("is_active")),
        escalation_days={
            level: values.get(escalation_field(level), "") for level, _label in ESCALATION_LEVELS
        },
    )


def category_initial(category: Category) -> dict:
    initial = {
        "name": category.name,
        "keywords": category.keywords,
        "position": category.position,
        "is_active": category.is_active,
    }
    for level, _label in ESCALATION_LEVELS:
        initial[escalation_field(level)] = (category.escalation_days or {}).get(level, "")
    return initial


class CategoryListView(ScopedPageMixin, View):
    model = Category

    def get(self, request):
        categories = self.get_scoped_queryset().order_by("position", "pk")
        rows = [
            (
                category,
                [
                    (category.escalation_days or {}).get(level)
                    for level, _label in ESCALATION_LEVELS
                ],
            )
            for category in categories
        ]
        return render(
            request,
            "categories/list.html",
            {
                "rows": rows,
                "levels": [label for _level, label in ESCALATION_LEVELS],
                "can_edit": may_edit_categories(request.user),
            },
        )


class CategoryFormPage(ScopedPageMixin, View):
    """The administrators' pages: another tenant's category is a 404 (it does not exist for the
    user); then the policy decides, 403 for everyone but a root tenant administrator."""

    model = Category
    action = Action.CHANGE

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.category = self.get_scoped_object() if "pk" in kwargs else None
            ensure_may_edit_categories(request.user)
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form, *, title, status=200):
        return render(
            self.request,
            "categories/form.html",
            {"form": form, "title": title, "object": self.category},
            status=status,
        )


class CategoryCreateView(CategoryFormPage):
    def get(self, request):
        return self.render_form(CategoryForm(initial={"is_active": True}), title=_("新增类别"))

    def post(self, request):
        form = CategoryForm(request.POST)
        if form.is_valid():
            try:
                category = services.category_create(
                    actor=request.user,
                    tenant=request.user.tenant,
                    data=category_data(form.cleaned_data),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已新增类别“%(name)s”。") % {"name": category.name})
                return redirect("categories:category_list")
        return self.render_form(form, title=_("新增类别"), status=400)


class CategoryEditView(CategoryFormPage):
    def get(self, request, pk):
        form = CategoryForm(initial=category_initial(self.category))
        return self.render_form(form, title=_("编辑类别 %(name)s") % {"name": self.category.name})

    def post(self, request, pk):
        form = CategoryForm(request.POST)
        if form.is_valid():
            try:
                category = services.category_update(
                    actor=request.user,
                    category=self.category,
                    data=category_data(form.cleaned_data),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已保存类别“%(name)s”。") % {"name": category.name})
                return redirect("categories:category_list")
        title = _("编辑类别 %(name)s") % {"name": self.category.name}
        return self.render_form(form, title=title, status=400)
