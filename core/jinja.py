"""The rows engine: Jinja2, for the rows of a long list (and the filters above the two longest
lists' rows: demands, resources) and nothing else.

Django's template engine walks a node tree and resolves every `{{ row.x }}` through its context
stack at render time: about 15 µs a variable here, 10 ms for the 50 rows of a list page, as much
as the page's own SQL. Jinja2 compiles a template to Python, so the same rows cost a third of it.
Pages stay Django templates; a page hands its rows to a `.jinja` file beside it through
`{% rows "app/_x_rows.jinja" rows=rows ... %}` (`core.templatetags.rows`).

What a row template may use is what it is given: the rows as plain values (URLs, labels and dates
worked out by the view), what the page passes (the CSRF token, say), `_()` for its words and
`url()` for a named URL.
An unknown name is an error, not an empty cell (StrictUndefined), so a renamed key fails the
page's tests. The words go through Django's gettext, so a catalogue translates them as it does
the pages; `makemessages` does not read `.jinja` files, so a catalogue for them is extracted
with Babel's Jinja2 extractor (`jinja2.ext.babel_extract`).
"""

from django.utils.translation import gettext, ngettext
from jinja2 import Environment, StrictUndefined


def environment(**options) -> Environment:
    options["undefined"] = StrictUndefined
    options.setdefault("autoescape", True)
    env = Environment(extensions=["jinja2.ext.i18n"], **options)
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.globals["url"] = url
    return env


def url(name: str, *args) -> str:
    """`{% url name arg ... %}` of a Django template."""
    from django.urls import reverse

    return reverse(name, args=args)


def words_of_one_render() -> dict:
    """`gettext` and `ngettext` for one render, which the template's `_()` and `{% trans %}` find
    in its context before the environment's: Django's own, each message looked up once per
    render. Every lookup reads the active language from asgiref's context-local storage (about
    10 µs); a list's rows ask for the same few words on every row. The language does not change
    during a render. Wrapped as `install_gettext_callables(newstyle=True)` wraps them."""
    from jinja2.ext import _make_new_gettext, _make_new_ngettext

    seen: dict[str, str] = {}

    def gettext_once(message: str) -> str:
        word = seen.get(message)
        if word is None:
            word = seen[message] = gettext(message)
        return word

    return {"gettext": _make_new_gettext(gettext_once), "ngettext": _make_new_ngettext(ngettext)}
