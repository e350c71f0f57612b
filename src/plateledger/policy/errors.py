"""Errors of the policy engine.

::

    PolicyError (ValueError)
    ├── UnknownPurpose       a purpose outside the closed list
    ├── UnknownAction        an action name the engine does not know
    ├── UnknownPack          a law pack code with no pack file
    └── PolicyCompileError   facts that cannot become a policy set (bad agreement, parse error)

A decision never raises for an ordinary denial: a denial is an `OwnerDecision` with
``allowed`` false and the ids of the policies that decided it.
"""

from __future__ import annotations


class PolicyError(ValueError):
    """Base of every error the policy package raises."""


class UnknownPurpose(PolicyError):
    """A purpose that is not on the closed list."""


class UnknownAction(PolicyError):
    """An action name the engine does not know."""


class UnknownPack(PolicyError):
    """A law pack code for which no pack file exists."""


class PolicyCompileError(PolicyError):
    """Agencies, agreements or declarations that cannot be compiled into a policy set."""
