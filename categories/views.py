"""Pages of the tenant's taxonomy of needs (需求类别): everyone in the tenant reads the list; the
tenant administrators at the root of the tree add and edit categories and their deadlines.

A category of another tenant is a 404, like one that does not exist; a user of the tenant who is
not its root administrator gets 403 on every write.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from categories import services, thesaurus
from categories.forms import ThesaurusForm
from categories.policies import ensure_may_edit_categories, may_edit_categories
from categories.services import ESCALATION_LEVELS, escalation_field
from core.forms import add_service_errors
from core.scoping import Action
from core.views import ScopedPageMixin

from .forms import CategoryForm
from .models import Category, ThesaurusEntry


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


# --- the thesaurus (同义词库) ------------------------------------------------------------------


def thesaurus_data(values: dict) -> thesaurus.ThesaurusData:
    return thesaurus.ThesaurusData(
        headword=values.get("headword", ""),
        synonyms=values.get("synonyms", ""),
        related=values.get("related", ""),
        category=values.get("category"),
        is_target=bool(values.get("is_target")),
        is_active=bool(values.get("is_active")),
    )


class ThesaurusListView(ScopedPageMixin, View):
    """Everyone of the tenant reads the thesaurus the matching engine uses; its root
    administrators edit it."""

    model = ThesaurusEntry

    def get(self, request):
        entries = thesaurus.thesaurus_for(request.user).order_by("category__position", "headword")
        return render(
            request,
            "categories/thesaurus_list.html",
            {"entries": entries, "can_edit": may_edit_categories(request.user)},
        )


class ThesaurusAdminMixin(ScopedPageMixin):
    """Another tenant's entry does not exist for this user (404); then the policy decides (403
    for everyone but a root tenant administrator). The services check the same policy."""

    model = ThesaurusEntry
    action = Action.CHANGE

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.entry = self.get_scoped_object() if "pk" in kwargs else None
            ensure_may_edit_categories(request.user)
        return super().dispatch(request, *args, **kwargs)

    def make_form(self, *args, **kwargs):
        return ThesaurusForm(*args, categories=services.categories_for(self.request.user), **kwargs)

    def render_form(self, form, *, title, status=200):
        return render(
            self.request,
            "categories/form.html",
            {
                "form": form,
                "title": title,
                "back_url": reverse("categories:thesaurus_list"),
                "back_label": _("同义词库"),
            },
            status=status,
        )


class ThesaurusCreateView(ThesaurusAdminMixin, View):
    def get(self, request):
        return self.render_form(self.make_form(initial={"is_active": True}), title=_("新增词条"))

    def post(self, request):
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                entry = thesaurus.thesaurus_entry_create(
                    actor=request.user,
                    tenant=request.user.tenant,
                    data=thesaurus_data(form.cleaned_data),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已新增词条“%(w)s”。") % {"w": entry.headword})
                return redirect("categories:thesaurus_list")
        return self.render_form(form, title=_("新增词条"), status=400)


class ThesaurusEditView(ThesaurusAdminMixin, View):
    def title(self):
        return _("编辑词条 %(w)s") % {"w": self.entry.headword}

    def get(self, request, pk):
        entry = self.entry
        form = self.make_form(
            initial={
                "headword": entry.headword,
                "synonyms": entry.synonyms,
                "related": entry.related,
                "category": entry.category_id or "",
                "is_target": entry.is_target,
                "is_active": entry.is_active,
            }
        )
        return self.render_form(form, title=self.title())

    def post(self, request, pk):
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                entry = thesaurus.thesaurus_entry_update(
                    actor=request.user, entry=self.entry, data=thesaurus_data(form.cleaned_data)
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已保存词条“%(w)s”。") % {"w": entry.headword})
                return redirect("categories:thesaurus_list")
        return self.render_form(form, title=self.title(), status=400)


class ThesaurusDeleteView(ThesaurusAdminMixin, View):
    """POST only, after the page's confirmation: the entry is gone (its words then count as
    plain words again)."""

    def post(self, request, pk):
        headword = self.entry.headword
        thesaurus.thesaurus_entry_delete(actor=request.user, entry=self.entry)
        messages.success(request, _("已删除词条“%(w)s”。") % {"w": headword})
        return redirect("categories:thesaurus_list")


class ThesaurusDefaultsView(ThesaurusAdminMixin, View):
    """Add back the default entries the tenant lacks; edited entries stay as they are."""

    def post(self, request):
        added = thesaurus.thesaurus_restore_defaults(actor=request.user, tenant=request.user.tenant)
        messages.success(request, _("已补充%(n)d个默认词条。") % {"n": added})
        return redirect("categories:thesaurus_list")
