"""`{% rows "app/_x_rows.jinja" rows=rows label=... %}`: a list's rows rendered by the rows engine
(`core.jinja`), for the pages whose rows cost more to render than to read.

The keywords are the row template's whole context; the result is already escaped (Jinja2
autoescapes), so the page includes it as it is.
"""

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

from core.jinja import words_of_one_render

register = template.Library()


@register.simple_tag
def rows(template_name: str, **context) -> str:
    compiled = engines["rows"].get_template(template_name).template
    return mark_safe(compiled.render({**words_of_one_render(), **context}))
