"""Screening of hot lists: a list's source, name and description and each entry's reason
and case number are screened like a search's reason (`plateledger.policy.screen_reason`).

A list cannot launder immigration enforcement through an innocuous category: an entry
whose list or own words are about immigration enforcement has the screened class
``immigration_violator``, whatever category was declared, and policy decides on that
class (and on the flags, which the engine raises from the same words); an entry of the NCIC
Immigration Violator File is of that class too, whatever it declares. A flag is context
for policy and an alarm for supervisors (the import report lists it), never the only
defence: the packs also decide on the requester's class and the agreements.
"""

from __future__ import annotations

from collections.abc import Iterable

from plateledger.hotlist.category import Category
from plateledger.policy.alert import AlertQuestion
from plateledger.policy.filetype import FileType
from plateledger.policy.reason import ReasonFlag, screen_reason

SCREENED_FLAGS = frozenset({
    ReasonFlag.IMMIGRATION, ReasonFlag.REPRODUCTIVE_HEALTH, ReasonFlag.PROTECTED_ACTIVITY,
})
"""What a hot list's words can raise (a short entry reason is not ``vague``: a list entry
is not a search's justification)."""


def screen_words(*texts: str) -> frozenset[ReasonFlag]:
    """The flags that ``texts`` raise, together."""
    return screen_reason(_joined(texts)) & SCREENED_FLAGS


def _joined(texts: Iterable[str]) -> str:
    # ``;`` is no separator a keyword spans, so two texts never make one keyword together
    return "; ".join(t.strip() for t in texts if t.strip())


def screened_class(
    declared: Category | str, flags: frozenset[ReasonFlag], *also_declared: Category | str,
    file_type: str = "",
) -> Category:
    """The class policy decides on: ``immigration_violator`` when any declared category is
    that, the words raised the immigration flag or the entry comes from the NCIC
    Immigration Violator File; otherwise the declared category."""
    categories = [Category(str(declared)), *(Category(str(c)) for c in also_declared)]
    if (ReasonFlag.IMMIGRATION in flags or Category.IMMIGRATION_VIOLATOR in categories
            or file_type == FileType.NCIC_IMMIGRATION_VIOLATOR):
        return Category.IMMIGRATION_VIOLATOR
    return categories[0]


def list_text(name: str, source: str, description: str) -> str:
    """The words of a list that are screened."""
    return _joined([f"list: {name}", f"source: {source}",
                    f"description: {description}" if description.strip() else ""])  # fmt: skip


def entry_question(
    list_owner_id: int, read_owner_id: int, *, list_category: Category | str,
    entry_category: str, list_words: str, reason: str, case_number: str,
    list_file_type: str = FileType.UNSPECIFIED, entry_file_type: str = "",
) -> AlertQuestion:  # fmt: skip
    """The alert question for a hit on one entry of a list (see `AlertQuestion`); its file
    type is the entry's own, or its list's."""
    declared = Category(entry_category) if entry_category else Category(str(list_category))
    file_type = entry_file_type or str(list_file_type)
    # A case number is in the screened words only when it raises a flag of its own: any
    # other case number adds nothing to the decision, and two entries whose case numbers
    # differ are then one question.
    case_words = f"case: {case_number}" if screen_words(case_number) else ""
    text = _joined([list_words, f"entry: {reason}" if reason.strip() else "", case_words])
    flags = screen_reason(text) & SCREENED_FLAGS
    screened = screened_class(declared, flags, list_category, file_type=file_type)
    return AlertQuestion(
        list_owner_id=list_owner_id,
        read_owner_id=read_owner_id,
        category=declared.value,
        screened_class=screened.value,
        case_number=case_number,
        text=text,
        file_type=file_type,
    )
