"""Screening of the free-text reason a requester gives.

`screen_reason` raises flags; it never decides. The flags go into the policy context, where
law packs forbid what the statute forbids (an immigration flag on California data), and
into the audit log, where auditors look for them. Keyword matching is an alarm, not the
only defence: purposes come from a closed list and the requester's class comes from the
catalog, and policy checks both.

Matching is case-insensitive and bounded by non-alphanumerics on both sides, so ``police``
and ``notice`` do not raise the ``immigration`` flag that ``ICE`` does.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class ReasonFlag(StrEnum):
    """What a reason text suggests."""

    IMMIGRATION = "immigration"
    """Civil immigration enforcement (ICE, ERO, HSI, CBP, DHS, Border Patrol, 287(g),
    detainers, I-247 forms, removal orders, deportation …). ``IVF`` raises
    it too: in an NCIC extract it is the Immigration Violator File."""
    REPRODUCTIVE_HEALTH = "reproductive_health"
    """Reproductive or other lawful health care (abortion, gender-affirming care …)."""
    PROTECTED_ACTIVITY = "protected_activity"
    """Protest, rally, demonstration, a religious gathering or other First Amendment
    activity."""
    VAGUE = "vague"
    """Too short or too generic to justify a search (``investigation``, ``inv``, ``case``)."""


def _pattern(*terms: str) -> re.Pattern[str]:
    # A space in a term matches any run of spaces, hyphens or underscores; an optional
    # separator is written out as a class (``[\s_-]?``), never as a space.
    body = "|".join(t.replace(" ", r"[\s_-]+") for t in terms)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])", re.IGNORECASE)


_REMOVAL_CONTEXT = (
    r"orders?", r"proceedings?", r"operations?", r"targets?", r"cases?", r"hearings?",
    r"flights?", r"warrants?", r"priorit(?:y|ies)",
)
"""Words that make ``removal`` the immigration term (``removal order``); ``snow removal``
or ``graffiti removal`` alone raises nothing."""

_ICE = (
    r"(?<!black\s)(?<!dry\s)(?<!shaved\s)ice"
    r"(?![\s_-]+(?:cream|creams|rink|rinks|storm|storms|skating|hockey|machine|chest))"
)
"""``ICE`` as a word, but not the frozen water of ``ice cream`` or ``black ice``."""

_KEYWORDS: dict[ReasonFlag, re.Pattern[str]] = {
    ReasonFlag.IMMIGRATION: _pattern(
        r"immigrations?", r"immigrants?", _ICE, r"i\.c\.e\.?", r"ero", r"e\.r\.o\.?",
        r"hsi", r"h\.s\.i\.?", r"cbp", r"c\.b\.p\.?", r"dhs", r"d\.h\.s\.?", r"usbp",
        r"uscis", r"border patrol", r"homeland security",
        r"customs and border", r"enforcement and removal", r"deport(?:s|ed|ing|ation|ations|able)?",
        r"removals? (?:" + "|".join(_REMOVAL_CONTEXT) + ")",
        r"(?:order|orders|warrant|warrants) of removal", r"expedited removal",
        r"removable aliens?", r"illegal aliens?", r"illegals", r"aliens?",
        r"undocumented", r"visa overstay(?:s)?", r"overstay(?:s|ed)?", r"unlawful presence",
        r"unlawfully present", r"illegal (?:entry|re[\s_-]?entry)", r"migrants?", r"la migra",
        r"287[\s_-]?\(?g\)?", r"detainers?", r"i[\s_-]?247[a-z]?", r"ivf",
    ),
    ReasonFlag.REPRODUCTIVE_HEALTH: _pattern(
        r"abortions?", r"abort(?:ed|ing)?", r"reproductive", r"planned parenthood",
        r"family planning", r"contracepti(?:on|ve|ves)", r"mifepristone", r"misoprostol",
        r"gender affirming", r"transgender care", r"pregnan(?:t|cy)", r"miscarriage",
        r"ivf", r"in vitro", r"fertility (?:clinic|treatment)s?", r"morning after pill",
        r"puberty blockers?", r"ob[\s_/-]?gyn", r"women'?s health (?:clinic|center|centre)",
    ),
    ReasonFlag.PROTECTED_ACTIVITY: _pattern(
        r"protests?", r"protest(?:er|ers|or|ors|ing)", r"rall(?:y|ies)",
        r"demonstrat(?:ion|ions|or|ors)", r"picket(?:s|ing|ers)?", r"marchers",
        r"vigils?", r"activists?", r"boycotts?", r"first amendment", r"sit in",
        # religious gatherings: the gathering, never the building alone (a car stolen
        # from a church's lot is not watching worship)
        r"worship(?:pers|ers|ing)?", r"prayers", r"prayer (?:service|meeting|vigil|group)s?",
        r"congregations?", r"congregants", r"churchgoers", r"(?:mass|service) attendees",
        r"(?:friday|saturday|sunday|sabbath|shabbat|religious|church|mosque|synagogue|"
        r"temple) services?",
        r"religious (?:gathering|gatherings|meeting|meetings|procession|processions)",
    ),
}

_VAGUE_WORDS = frozenset({
    "investigation", "investigations", "investigate", "investigative", "inv", "invest",
    "invst", "case", "cases", "suspicious", "susp", "suspect", "info", "information",
    "intel", "n/a", "na", "none", "test", "testing", "lookup", "look", "up", "query",
    "search", "check", "follow", "followup", "fu", "see", "per", "request", "ongoing",
    "criminal", "crime", "activity", "vehicle", "veh", "plate", "police", "matter",
    "the", "a", "an", "of", "for", "on", "in", "to", "and", "re", "ref", "other", "misc",
    "general", "routine", "patrol",
})
"""Words that carry no factual basis on their own."""

_WORD = re.compile(r"[a-z][a-z/'-]*", re.IGNORECASE)
MIN_FACTUAL_WORDS = 2
"""A reason needs at least this many words beyond the generic ones."""


_LOOKALIKES = str.maketrans(
    # Cyrillic
    "АВСЕНІЈКМОРЅТХУҮӀԀ" "асеіјорѕхуһԁԛԝӏ"
    # Greek
    "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹ" "αικνορτυχϲ"
    # Cherokee, Armenian, dotless i
    "ᎪᏴᏟᎬᎻᎫᏦᎷᏢᏚᎢᏔᏃᎥ" "օսı",
    "ABCEHIJKMOPSTXYYID" "aceijopsxyhdqwl"
    "ABEZHIKMNOPTYXC" "aiknoptuxc"
    "ABCEHJKMPSTWZi" "oui",
)
"""Letters of other scripts that look like Latin ones (Unicode's confusables, the ones a
word like ``ICE`` can be spelled with): each is read as its Latin twin."""

_SPACED = re.compile(r"(?<![^\W_])(?:[^\W\d_][\s._-]){2,}[^\W\d_](?![^\W_])")
"""A word spelled out letter by letter (``I C E``, ``I-C-E``, ``D.H.S``)."""


def folded(text: str) -> str:
    """``text`` as screening reads it: its compatibility form (NFKC: full-width ``ＩＣＥ``
    is ``ICE``), without format characters (a zero-width space inside a word does not
    split it) or accents (``ÍCE``), with look-alike letters of other scripts read as
    Latin (`_LOOKALIKES`: Cyrillic ``ІСЕ``)."""
    text = "".join(c for c in unicodedata.normalize("NFKC", text.translate(_LOOKALIKES))
                   if unicodedata.category(c) != "Cf")
    bare = "".join(c for c in unicodedata.normalize("NFD", text)
                   if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", bare).translate(_LOOKALIKES)


def screen_reason(text: str) -> frozenset[ReasonFlag]:
    """The flags ``text`` raises (empty for a specific, unremarkable reason).

    A reason is ``vague`` when, after dropping generic words and numbers (a case number is
    not a reason), fewer than `MIN_FACTUAL_WORDS` words remain. The text is read as
    `folded` gives it, and a word spelled out letter by letter (``I C E``) is read as the
    word too.
    """
    text = folded(text)
    joined = _SPACED.sub(lambda m: re.sub(r"[\s._-]", "", m.group()), text)
    texts = (text,) if joined == text else (text, joined)  # a second pass only if spelled out
    flags = {flag for flag, pattern in _KEYWORDS.items()
             if any(pattern.search(t) for t in texts)}
    factual = [w for w in _WORD.findall(text.lower()) if w not in _VAGUE_WORDS and len(w) > 1]
    if len(factual) < MIN_FACTUAL_WORDS:
        flags.add(ReasonFlag.VAGUE)
    return frozenset(flags)
