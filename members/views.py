from django.shortcuts import render
from django.views import View

from committees.scoped import ScopedPageMixin

from . import selectors
from .models import MemberUnit


class UnitListView(ScopedPageMixin, View):
    model = MemberUnit

    def get(self, request):
        units = selectors.member_units(user=request.user)[:50]
        return render(request, "members/unit_list.html", {"units": units})
