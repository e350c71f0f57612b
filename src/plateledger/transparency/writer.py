"""The report schedule's job: write every report that is due into the reports folder (HTML,
CSV, JSON and PDF per report) and log each generation as a ``report_generated`` audit entry.

A report is written once per period: its file stem (code, agency, period) names the files,
and a stem already in the folder is not due again. The entry is appended before the files
are moved into place, so a report on disk always has its entry (fail closed)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from plateledger.audit import AuditLog
from plateledger.catalog import Catalog
from plateledger.catalog.agencies import agency_timezone
from plateledger.store import ReadStore
from plateledger.transparency.render import report_csv, report_html, report_pdf
from plateledger.transparency.reports import reports_for
from plateledger.transparency.schedule import due_reports
from plateledger.transparency.service import FactCache, generate_logged, packs_of

__all__ = ["Written", "write_due"]

SUFFIXES = (".html", ".csv", ".json")


@dataclass(frozen=True)
class Written:
    agency: str
    code: str
    stem: str
    audit_index: int
    deadline: str


def _written(folder: Path) -> set[str]:
    return {p.stem for p in folder.glob("*.json")}


def write_due(log: AuditLog, catalog: Catalog, folder: Path, now: datetime,
              *, by: str = "schedule", store: ReadStore | None = None,
              cache: FactCache | None = None) -> list[Written]:
    """Write the reports due at ``now`` (in each agency's time zone) for every agency into
    ``folder``; with ``store``, the reports carry what the read store and the hit records
    hold. ``cache`` (of ``log``) keeps the facts read between runs; the log is read only
    when a report is due."""
    folder.mkdir(parents=True, exist_ok=True)
    cache = cache if cache is not None and cache.log is log else FactCache(log)
    done = _written(folder)
    out: list[Written] = []
    for agency in catalog.agencies():
        codes = list(reports_for(packs_of(agency)))
        stems = {s.removeprefix(f"{agency.slug}_") for s in done
                 if s.startswith(f"{agency.slug}_")}
        for due in due_reports(codes, now, stems, agency_timezone(agency)):
            stem = f"{agency.slug}_{due.file_stem}"
            generated = generate_logged(log, cache, catalog, agency, due.code, due.period,
                                        now=now, by=by, path=f"{stem}.html", store=store)
            report = generated.report
            texts = (report_html(report), report_csv(report),
                     json.dumps(report.as_json() | {"audit_index": generated.audit_index},
                                indent=1, sort_keys=True))
            for suffix, text in zip(SUFFIXES, texts, strict=True):
                partial = folder / f".{stem}{suffix}.part"
                partial.write_text(text, encoding="utf-8")
                os.replace(partial, folder / f"{stem}{suffix}")
            partial = folder / f".{stem}.pdf.part"
            partial.write_bytes(report_pdf(report))
            os.replace(partial, folder / f"{stem}.pdf")
            out.append(Written(agency.slug, due.code, stem, generated.audit_index,
                               due.deadline.isoformat()))
    return out
