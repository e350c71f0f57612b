"""Public figures and statutory reports, computed from the audit log's public facts.

- `facts`: the allow-list projection of an entry that every public figure is made of;
- `figures`: an agency's portal figures (searches, hits, partners derived from decisions);
- `reports`: one generator per statute, each element citing its provision;
- `schedule`: which reports are due, against an injected clock;
- `render`: CSV, HTML and server-side SVG;
- `service`: the live sources (log, catalog, read store) and the logged generation;
- `tokens`: plates shown as keyed tokens;
- `answers`: the public answers (portal, on-demand report) kept a short while.
"""

from plateledger.transparency.facts import Fact, fact_of, facts_of
from plateledger.transparency.figures import NOT_RECORDED, Figure, portal_figures
from plateledger.transparency.reports import REPORTS, Period, Report, generate, reports_for

__all__ = [
    "NOT_RECORDED",
    "REPORTS",
    "Fact",
    "Figure",
    "Period",
    "Report",
    "fact_of",
    "facts_of",
    "generate",
    "portal_figures",
    "reports_for",
]
