"""Finding the object a person named: in a form field, a spreadsheet cell or an API item.

People name a committee by its 12-digit division code or its exact name, a member unit by its
credit code or its exact name, and programs by id. A resolver answers all of these the same way,
for one user's candidates (a scoped queryset the caller gives), with the same messages whichever
way the reference came in. For a batch (a workbook, a bulk API call) it reads every reference of
the batch in one query (`prefetch`); a single entry costs one query too.

The mechanism only: which field a text names and what makes a found object unusable (a closed
committee, an inactive unit) is said by the subclass beside its model (`committees.selectors`,
`members.selectors`); which candidates a user may name is said by the caller's policy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from .excel import required_message

Key = tuple[str, Any]  # (model field, value), e.g. ("division_code", "110101001000")
# Ids beyond this many digits are no ids: they would overflow the database's integer column.
MAX_ID_DIGITS = 18


def reference_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def as_id(text: str) -> int | None:
    """A text that is a plain id ("²".isdigit() is true too, so ASCII only)."""
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
        return int(text)
    return None


class ReferenceResolver:
    """Resolves references to one model among `candidates`, reporting under `field`.

    `label` names the field in messages (服务范围, 所在地); `scope` says in words what may be
    named (您工作范围内的协调委员会). A blank reference gives `default`, or a "please fill in".
    """

    model_name: str = ""  # 协调委员会
    unusable_words: str = ""  # 已撤销
    distinct_by: str = ""  # what tells two of the same name apart: 12位区划代码

    def __init__(
        self,
        candidates: QuerySet,
        *,
        field: str,
        label: str,
        scope: str,
        default: Model | None = None,
    ) -> None:
        self.candidates = candidates
        self.field = field
        self.label = label
        self.scope = scope
        self.default = default
        self._found: dict[Key, list[Model]] = defaultdict(list)
        self._fetched: set[Key] = set()

    # --- what the subclass says -----------------------------------------------------------------

    def lookup(self, text: str) -> Key:
        """Which field of the model the text names."""
        raise NotImplementedError

    def keys_of(self, obj: Model) -> list[Key]:
        """Every key under which the object can be named."""
        raise NotImplementedError

    def unusable(self, obj: Model) -> bool:
        return False

    # --- reading ---------------------------------------------------------------------------------

    def prefetch(self, values: Iterable[Any]) -> None:
        """Read every object the values name, in one query."""
        wanted: dict[str, set[Any]] = defaultdict(set)
        for value in values:
            text = reference_text(value)
            # A NUL names nothing and PostgreSQL refuses it in a query: the row's form says so.
            if text and "\x00" not in text:
                key = self.lookup(text)
                if key not in self._fetched:
                    wanted[key[0]].add(key[1])
                    self._fetched.add(key)
        if not wanted:
            return
        condition = Q()
        for name, found_values in wanted.items():
            condition |= Q(**{f"{name}__in": found_values})
        for obj in self.candidates.filter(condition):
            for key in self.keys_of(obj):
                if key[1] in wanted.get(key[0], ()) and obj not in self._found[key]:
                    self._found[key].append(obj)

    def found(self) -> list[Model]:
        """Every object read so far."""
        return list({obj.pk: obj for objs in self._found.values() for obj in objs}.values())

    def include(self, obj: Model) -> None:
        """Accept an object the user may keep naming though it is not among the candidates (the
        committee a resource already serves, when its contact edits it)."""
        for key in self.keys_of(obj):
            if obj not in self._found[key]:
                self._found[key].append(obj)

    def matches(self, value: Any) -> list[Model]:
        text = reference_text(value)
        if not text:
            return []
        key = self.lookup(text)
        if key not in self._fetched:
            self.prefetch([text])
        return list(self._found.get(key, ()))

    def find(self, value: Any) -> Model | None:
        """The one object named (a usable one first), or None: for filters, where a reference
        that names nothing, or names several, gives no rows."""
        found = self.matches(value)
        usable = [obj for obj in found if not self.unusable(obj)]
        if len(usable) == 1:
            return usable[0]
        return found[0] if len(found) == 1 else None

    def resolve(self, value: Any) -> Model:
        """The object named; ValidationError under `field` saying why there is none."""
        text = reference_text(value)
        if not text:
            if self.default is not None:
                return self.default
            raise self.error(required_message(self.label))
        found = self.matches(text)
        usable = [obj for obj in found if not self.unusable(obj)]
        if len(usable) == 1:
            return usable[0]
        if usable:
            raise self.error(
                _("有%(n)d个名为“%(ref)s”的%(model)s，请改填%(by)s以区分。")
                % {"n": len(usable), "ref": text, "model": self.model_name, "by": self.distinct_by}
            )
        if found:
            raise self.error(
                _("%(model)s“%(ref)s”%(words)s，不能再选。")
                % {"model": self.model_name, "ref": text, "words": self.unusable_words}
            )
        raise self.error(
            _("找不到%(label)s“%(ref)s”：只能选择%(scope)s。")
            % {"label": self.label, "ref": text, "scope": self.scope}
        )

    def error(self, message: str) -> ValidationError:
        return ValidationError({self.field: [message]})
