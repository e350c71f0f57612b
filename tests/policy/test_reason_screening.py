"""Reason screening raises flags by whole words, whatever the case."""

from __future__ import annotations

import pytest

from plateledger.policy import ReasonFlag, screen_reason

IMM = ReasonFlag.IMMIGRATION
HEALTH = ReasonFlag.REPRODUCTIVE_HEALTH
PROTEST = ReasonFlag.PROTECTED_ACTIVITY
VAGUE = ReasonFlag.VAGUE


@pytest.mark.parametrize(("reason", "flags"), [
    ("assist ICE with locating the registered owner", {IMM}),
    ("per i.c.e. request", {IMM, VAGUE}),
    ("ERO Seattle target, removal pending", {IMM}),
    ("HSI task force lead on a smuggling route", {IMM}),
    ("deportation order outstanding for the driver", {IMM}),
    ("illegal alien driving the blue sedan", {IMM}),
    ("undocumented driver seen at the farm", {IMM}),
    ("CBP border patrol referral", {IMM}),
    ("immigration_violator list hit", {IMM}),
    ("police notice: office break-in, suspect fled in a white van", set()),
    ("justice department referral about a stolen trailer", set()),
    ("slice of the price list stolen from the vendor truck", set()),
    ("car seen at the abortion clinic", {HEALTH}),
    ("reproductive health centre parking lot", {HEALTH}),
    ("plates of protesters at the rally", {PROTEST}),
    ("demonstration outside city hall", {PROTEST}),
    ("investigation", {VAGUE}),
    ("INV", {VAGUE}),
    ("case 25-00417", {VAGUE}),
    ("suspicious vehicle", {VAGUE}),
    ("", {VAGUE}),
    ("white sedan seen leaving the shooting on Fifth Street", set()),
])
def test_reason_raises_exactly_these_flags(reason: str, flags: set[ReasonFlag]) -> None:
    assert screen_reason(reason) == flags


@pytest.mark.parametrize("reason", ["ICE", "ice", "Ice", "(ICE)", "ICE/ERO", "ice-related"])
def test_ice_is_found_in_any_case_and_between_punctuation(reason: str) -> None:
    assert IMM in screen_reason(reason)


@pytest.mark.parametrize("word", ["police", "notice", "office", "service", "juice", "icebox",
                                  "alienated", "hero", "zero", "removalist"])
def test_words_that_merely_contain_a_keyword_raise_nothing(word: str) -> None:
    assert IMM not in screen_reason(f"{word} reported a stolen red pickup truck")


@pytest.mark.parametrize("reason", [
    "DHS request for the registered owner",
    "Homeland Security Investigations lead",
    "USBP sector referral",
    "Customs and Border Protection lookout",
    "Enforcement and Removal Operations target list",
    "removal order outstanding",
    "final order of removal",
    "expedited removal case",
    "removal targets",
    "287(g) task force",
    "287g agreement",
    "I-247A detainer lodged",
    "i247 on file",
    "ins detainer",
    "unlawful presence",
    "illegal re-entry after removal",
    "NCIC IVF (immigration violator file)",
    "migrant van seen at the farm",
])
def test_immigration_enforcement_in_any_of_its_names_is_flagged(reason: str) -> None:
    assert IMM in screen_reason(reason)


@pytest.mark.parametrize("reason", [
    "snow removal truck stolen from the city yard",
    "graffiti removal crew's van taken overnight",
    "ice cream truck stolen from the depot",
    "car slid on black ice and the driver fled",
    "stolen car seen on I-205 northbound",
    "driver of the shaved ice stand's van, hit and run",
])
def test_ordinary_words_near_immigration_terms_raise_nothing(reason: str) -> None:
    assert IMM not in screen_reason(reason)


@pytest.mark.parametrize("reason", [
    "car seen at the IVF clinic",
    "in vitro fertility clinic parking lot",
    "driver took the morning-after pill",
    "ob-gyn office on Elm Street",
    "women's health clinic visitor",
    "puberty blockers prescription",
])
def test_reproductive_health_care_is_flagged(reason: str) -> None:
    assert HEALTH in screen_reason(reason)


@pytest.mark.parametrize("reason", [
    "wanted by \u0406\u0421\u0415 for removal",  # Cyrillic І С Е
    "\u0399\u03f9\u0395 request for the registered owner",  # Greek Ι, lunate sigma, Ε
    "assist \u00cdC\u00c9 with the registered owner",  # accents
    "assist I\u0301CE with the registered owner",  # a combining accent
    "assist \uff29\uff23\uff25 with the registered owner",  # full-width
    "assist I\u200bCE with the registered owner",  # a zero-width space
    "I C E asked for the registered owner",
    "I-C-E asked for the registered owner",
    "request of D H S for the driver",
    "h s i task force lead",
])
def test_immigration_terms_in_look_alike_letters_or_spelled_out_are_flagged(reason: str) -> None:
    """A word is screened as it reads, not as it is encoded: look-alike letters of other
    scripts, accents, full-width forms, invisible characters and a word spelled out letter
    by letter all read as the Latin word."""
    assert IMM in screen_reason(reason)


@pytest.mark.parametrize("reason", [
    "stolen red pickup seen outside the A B C liquor store",
    "hit and run, partial plate 7 A B C, white sedan",
    "Peña reported her \u0441\u0430\u0440 stolen from the lot on Fifth Street",
])
def test_spelled_out_letters_that_make_no_term_raise_nothing(reason: str) -> None:
    assert screen_reason(reason) == set()


@pytest.mark.parametrize("reason", [
    "red pickup stolen from the church parking lot overnight",
    "hit and run outside the mosque on Elm Street, white van",
    "customer service van of the cable company taken from the depot",
])
def test_a_place_of_worship_alone_is_not_a_religious_gathering(reason: str) -> None:
    """Religious gatherings are flagged by the gathering (``Friday prayers``, ``Sunday
    service``, ``congregants``), never by the building a car was stolen from."""
    assert PROTEST not in screen_reason(reason)
