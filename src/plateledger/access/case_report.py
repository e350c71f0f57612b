"""A case report as a document: standalone HTML (no script, no outside asset) and PDF.

Both carry the same things (`plateledger.access.cases.CaseReport`): the case, each search
with its legal basis and result summary (counts and digest, never the reads), each search's
audit leaf index with its inclusion proof (leaf hash and audit path, base64), and the
signed checkpoint the proofs lead to, with the log's verifier key. The HTML also carries
the proofs as JSON (``<script type="application/json" id="proofs">``, data only), so that a
verifier can read them without parsing the page.
"""

from __future__ import annotations

import json
from html import escape

from plateledger.access.cases import CaseReport, CaseSearch

__all__ = ["COUNTS_ONLY", "VERIFY", "report_html", "report_pdf"]

COUNTS_ONLY = (
    "This report lists, for each search, how many reads it matched and returned and the "
    "SHA-256 digest of the returned read ids; it does not list the reads themselves."
)
VERIFY = (
    "To verify: check the checkpoint's signature with the verifier key (compare the key "
    "with one published elsewhere); for each proof, fold the leaf hash with the audit "
    "path as RFC 6962 (RFC 9162 section 2.1.3.2) describes, for the leaf index in the "
    "tree of the checkpoint's size; the result must be the checkpoint's root hash."
)


def _owners(search: CaseSearch) -> str:
    allowed = ", ".join(search.owners_allowed) or "none"
    denied = "; ".join(f"{d.agency} ({', '.join(d.policy_ids) or 'no rule id'})"
                       for d in search.owners_denied) or "none"
    return f"released: {allowed}; denied: {denied}"


def _counts(search: CaseSearch) -> str:
    per = ", ".join(f"{k}={v}" for k, v in sorted(search.returned_by_owner.items()))
    text = (f"{'?' if search.result_count is None else search.result_count} matched, "
            f"{'?' if search.returned is None else search.returned} returned")
    return f"{text} ({per})" if per else text


def _what(search: CaseSearch) -> str:
    kind = f"export of a {search.kind} search" if search.entry_type == "export" \
        else f"{search.kind} search"
    return f"{kind} of {search.plate}" if search.plate else kind


def _path_html(hashes: list[str]) -> str:
    return " ".join(f"<code>{escape(h)}</code>" for h in hashes) or "(none)"


STYLE = (
    "body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#111}"
    "table{border-collapse:collapse;width:100%;margin:1rem 0}"
    "th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "code,pre{font:12px/1.3 ui-monospace,monospace;word-break:break-all;white-space:pre-wrap}"
    ".note{border-left:4px solid #555;padding-left:.75rem}"
)


def report_html(report: CaseReport) -> str:
    """A standalone HTML document of ``report`` (printable; its style inline)."""
    case = report.case
    proofs = {p.index: p for p in report.proofs}
    rows = []
    for s in report.searches:
        rows.append(
            f"<tr id=\"search-{escape(s.search_id)}\"><td><code>{escape(s.search_id)}</code>"
            f"<br>{escape(s.time)}<br>{escape(s.user)}</td>"
            f"<td>{escape(_what(s))}<br>purpose {escape(s.purpose)}; offense "
            f"{escape(s.offense_type or '—')}</td>"
            f"<td class=\"basis\">{escape(s.legal_basis)}</td>"
            f"<td>{escape(_owners(s))}</td>"
            f"<td>{escape(_counts(s))}<br>digest <code>{escape(s.result_digest)}</code></td>"
            f"<td class=\"num\">{s.audit_index}</td></tr>"
        )
    body = "".join(rows) or "<tr><td colspan=\"6\">no search names this case</td></tr>"
    proof_items = "".join(
        f"<li id=\"proof-{p.index}\">leaf {p.index}: leaf hash <code>{escape(p.leaf_hash)}"
        f"</code>; audit path: {_path_html(p.hashes)}</li>"
        for p in (proofs[i] for i in sorted(proofs))
    )
    data = json.dumps({
        "checkpoint": report.checkpoint, "verifier_key": report.verifier_key,
        "size": report.checkpoint_size, "root_hash": report.root_hash,
        "proofs": [p.model_dump() for p in report.proofs],
    }).replace("<", "\\u003c")
    closed = (f"; closed by {escape(case.closed_by or '')} at "
              f"{escape(case.closed_at.isoformat())}" if case.closed_at else "")
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Case {escape(case.number)} — {escape(report.agency_name)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Case {escape(case.number)}: {escape(case.title)}</h1>"
        f"<p>{escape(report.agency_name)} ({escape(report.agency)}) · status "
        f"{escape(case.status)} · opened by {escape(case.opened_by)} at "
        f"{escape(case.created_at.isoformat())}{closed}</p>"
        f"<p>Generated {escape(report.generated_at.isoformat())} by "
        f"{escape(report.generated_by)}; this report is audit entry "
        f"{report.report_index}.</p>"
        f"<p class=\"note\" id=\"counts-only\">{escape(COUNTS_ONLY)}</p>"
        f"<h2>Searches ({len(report.searches)})</h2>"
        "<table id=\"searches\"><thead><tr><th scope=\"col\">Search</th>"
        "<th scope=\"col\">What</th><th scope=\"col\">Legal basis</th>"
        "<th scope=\"col\">Owners</th><th scope=\"col\">Result</th>"
        "<th scope=\"col\">Audit index</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
        "<h2>Proofs</h2>"
        f"<p>Signed checkpoint (tree size {report.checkpoint_size}):</p>"
        f"<pre id=\"checkpoint\">{escape(report.checkpoint)}</pre>"
        f"<p>Verifier key: <code id=\"verifier-key\">{escape(report.verifier_key)}</code></p>"
        f"<p class=\"note\">{escape(VERIFY)}</p>"
        f"<ul id=\"proofs-list\">{proof_items}</ul>"
        f"<script type=\"application/json\" id=\"proofs\">{data}</script>"
        "</body></html>"
    )


def _cp1252(text: str) -> str:
    """``text`` in the core fonts' Windows-1252 set (the checkpoint's em dash kept)."""
    return text.encode("cp1252", "replace").decode("cp1252")


def report_pdf(report: CaseReport) -> bytes:
    """``report`` as a PDF (fpdf2, core fonts, uncompressed so that it can be searched;
    each line of the checkpoint and each hash on a text line of its own)."""
    from fpdf import FPDF  # type: ignore[import-untyped]
    from fpdf.enums import XPos, YPos  # type: ignore[import-untyped]

    case = report.case
    pdf = FPDF(format="Letter")
    pdf.core_fonts_encoding = "windows-1252"  # WinAnsiEncoding: a signed note's em dash
    pdf.set_compression(False)
    pdf.set_title(_cp1252(f"Case {case.number} - {report.agency_name}"))
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: int = 10, style: str = "", font: str = "Helvetica") -> None:
        pdf.set_font(font, style, size)
        pdf.multi_cell(width, size * 0.5, _cp1252(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(f"Case {case.number}: {case.title}", 16, "B")
    line(f"{report.agency_name} ({report.agency}); status {case.status}; opened by "
         f"{case.opened_by} at {case.created_at.isoformat()}"
         + (f"; closed by {case.closed_by} at {case.closed_at.isoformat()}"
            if case.closed_at else ""))
    line(f"Generated {report.generated_at.isoformat()} by {report.generated_by}; this "
         f"report is audit entry {report.report_index}.")
    line(COUNTS_ONLY, 10, "I")
    pdf.ln(2)
    line(f"Searches ({len(report.searches)})", 13, "B")
    if not report.searches:
        line("No search names this case.")
    for s in report.searches:
        pdf.ln(1)
        line(f"Search {s.search_id}", 10, "B")
        line(f"{s.time} by {s.user}: {_what(s)}; purpose {s.purpose}; offense "
             f"{s.offense_type or '-'}", 9)
        line(f"Legal basis: {s.legal_basis}", 9)
        line(f"Owners: {_owners(s)}", 9)
        line(f"Result: {_counts(s)}", 9)
        line(f"Digest: {s.result_digest}", 8, font="Courier")
        line(f"Audit index: {s.audit_index}", 9)
    pdf.ln(2)
    line("Proofs", 13, "B")
    line(f"Signed checkpoint (tree size {report.checkpoint_size}):", 10)
    for text in report.checkpoint.splitlines() or [""]:
        line(text or " ", 6, font="Courier")  # small enough that no line wraps
    line(f"Verifier key: {report.verifier_key}", 8, font="Courier")
    line(VERIFY, 9, "I")
    for p in report.proofs:
        pdf.ln(1)
        line(f"Proof of leaf {p.index}", 9, "B")
        line(f"leaf hash: {p.leaf_hash}", 8, font="Courier")
        for h in p.hashes:
            line(f"audit path: {h}", 8, font="Courier")
    return bytes(pdf.output())
