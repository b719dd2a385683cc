from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from core.forms import add_service_errors
from core.lookups import LookupView
from core.scoping import Action, can
from core.views import ScopedPageMixin

from . import selectors, services
from .forms import CommitteeCloseForm, CommitteeCreateForm, CommitteeMoveForm, CommitteeRenameForm
from .models import LEVEL_ORDER, Committee


class CommitteeTreeView(ScopedPageMixin, View):
    """The tree browser: the user's scope roots, expanded lazily, and a search by name or code."""

    model = Committee

    def get(self, request):
        query = request.GET.get("q", "").strip()
        context = {
            "roots": request.user.scope_committees,
            "query": query,
            "results": selectors.committee_search(user=request.user, query=query)
            if query
            else None,
        }
        return render(request, "committees/tree.html", context)


class CommitteeChildrenView(ScopedPageMixin, View):
    """The children of one node, as an HTMX fragment of the tree browser."""

    model = Committee

    def get(self, request, pk):
        committee = self.get_scoped_object()
        children = selectors.committee_children(user=request.user, committee=committee)
        return render(request, "committees/_children.html", {"children": children})


class CommitteeLookupView(LookupView):
    """The committee picker's search: open committees the user may reach for the action, by
    name or code, nearest the root first."""

    model = Committee

    def search(self, rows, query):
        found = rows.filter(closed_at__isnull=True)
        if query.isdigit():
            found = found.filter(division_code__startswith=query)
        else:
            found = found.filter(name__icontains=query)
        return found.select_related("parent").order_by("tree_id", "depth", "lft")

    def option(self, committee):
        return {
            "value": committee.pk,
            "label": committee.name,
            "hint": " · ".join(
                part
                for part in (
                    committee.parent.name if committee.parent else "",
                    committee.division_code,
                )
                if part
            ),
        }


class CommitteeDetailView(ScopedPageMixin, View):
    model = Committee

    def get(self, request, pk):
        committee = self.get_scoped_object()
        context = {
            "committee": committee,
            "ancestors": [
                (ancestor, can(request.user, Action.VIEW, ancestor))
                for ancestor in selectors.committee_ancestors(committee)
            ],
            "children": selectors.committee_children(user=request.user, committee=committee),
            "level_counts": selectors.committee_level_counts(committee),
            "can_manage": can(request.user, Action.MANAGE_TREE, committee),
        }
        return render(request, "committees/detail.html", context)


class TreeWriteView(ScopedPageMixin, View):
    """A form that changes the tree: visible committees only (404), tenant administrators only
    (403), and the change itself made by a service that holds the tree lock."""

    model = Committee
    action = Action.MANAGE_TREE
    form_class: type
    title = ""
    submit_label = ""

    def get(self, request, pk):
        committee = self.get_scoped_object()
        form = self.form_class(initial=self.initial(committee), **self.form_kwargs())
        return self.render_form(committee, form)

    def form_kwargs(self) -> dict:
        return {}

    def post(self, request, pk):
        committee = self.get_scoped_object()
        form = self.form_class(request.POST, **self.form_kwargs())
        if form.is_valid():
            try:
                result = self.perform(committee, form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, self.success_message(result))
                return redirect("committees:detail", pk=result.pk)
        return self.render_form(committee, form, status=400 if form.errors else 200)

    def initial(self, committee: Committee) -> dict:
        return {}

    def render_form(self, committee, form, status=200):
        context = {
            "committee": committee,
            "form": form,
            "title": self.title,
            "submit_label": self.submit_label,
            **(getattr(self, "extra_context", None) or {}),
        }
        return render(
            request=self.request,
            template_name="committees/form.html",
            context=context,
            status=status,
        )

    def perform(self, committee: Committee, data: dict) -> Committee:  # pragma: no cover
        raise NotImplementedError

    def success_message(self, committee: Committee) -> str:  # pragma: no cover
        raise NotImplementedError


class CommitteeCreateView(TreeWriteView):
    form_class = CommitteeCreateForm
    title = _("新建下级协调委员会")
    submit_label = _("创建")

    def initial(self, committee):
        below = LEVEL_ORDER.index(committee.level) + 1
        return {"level": LEVEL_ORDER[min(below, len(LEVEL_ORDER) - 1)]}

    def perform(self, committee, data):
        return services.committee_create(
            tenant=committee.tenant,
            parent=committee,
            name=data["name"],
            level=data["level"],
            kind=data["kind"],
            division_code=data["division_code"],
        )

    def success_message(self, committee):
        return _("已创建“%(name)s”。") % {"name": committee.name}


class CommitteeRenameView(TreeWriteView):
    form_class = CommitteeRenameForm
    title = _("重命名")
    submit_label = _("保存")

    def initial(self, committee):
        return {"name": committee.name}

    def perform(self, committee, data):
        return services.committee_rename(committee=committee, name=data["name"])

    def success_message(self, committee):
        return _("已更名为“%(name)s”。") % {"name": committee.name}


class CommitteeMoveView(TreeWriteView):
    form_class = CommitteeMoveForm
    title = _("迁移到其他上级")
    submit_label = _("迁移")

    def form_kwargs(self):
        return {"user": self.request.user}

    def perform(self, committee, data):
        return services.committee_move(
            committee=committee,
            new_parent=selectors.one_committee_by_reference(
                user=self.request.user,
                reference=data["parent"],
                action=Action.MANAGE_TREE,
                field="parent",
            ),
            division_code=data["division_code"] or None,
        )

    def success_message(self, committee):
        return _("已将“%(name)s”迁移到“%(parent)s”之下。") % {
            "name": committee.name,
            "parent": committee.parent.name,
        }


class CommitteeCloseView(TreeWriteView):
    """Closing cannot be undone: the page says first what happens to the committee's demands,
    units, memberships and accounts, with their counts, and asks to confirm."""

    form_class = CommitteeCloseForm
    title = _("撤销协调委员会")
    submit_label = _("确认撤销")

    def render_form(self, committee, form, status=200):
        from .closing import close_impacts

        self.extra_context = {"impacts": close_impacts(committee), "irreversible": True}
        return super().render_form(committee, form, status)

    def perform(self, committee, data):
        return services.committee_close(committee=committee)

    def success_message(self, committee):
        return _("已撤销“%(name)s”。") % {"name": committee.name}
