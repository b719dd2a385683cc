"""The site's URLs with the Excel pages of member units in the "members" namespace, for
`@pytest.mark.urls` until members/urls.py includes members.excel_urls itself."""

from django.urls import URLResolver, include, path

from config.urls import urlpatterns as site_patterns
from members import excel_urls
from members import urls as member_urls


def _already_included() -> bool:
    return any(
        getattr(p, "urlconf_name", None) in (excel_urls, "members.excel_urls")
        for p in member_urls.urlpatterns
    )


if _already_included():
    urlpatterns = site_patterns
else:
    members_patterns = (
        [*member_urls.urlpatterns, path("units/excel/", include(excel_urls))],
        "members",
    )
    urlpatterns = [
        p for p in site_patterns if not (isinstance(p, URLResolver) and p.namespace == "members")
    ] + [path("members/", include(members_patterns))]
