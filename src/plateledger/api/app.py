"""The app factory: builds the FastAPI app around explicitly passed settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from plateledger import __version__
from plateledger.api import heap
from plateledger.api.documents import NoStore
from plateledger.api.errors import install_error_handlers
from plateledger.api.resources import Resources
from plateledger.api.routes import (
    admin,
    alarms,
    alerts,
    approvals,
    audit,
    auth,
    basemap,
    cases,
    docs,
    exports,
    federation,
    federation_hotlists,
    hotlists,
    image_views,
    images,
    ingest,
    policy,
    quarantine,
    reads,
    recognize,
    reports,
    retention,
    searches,
    sharing_presets,
    supervision,
    tlog,
    transparency,
    witnessing,
    zones,
)
from plateledger.settings import Settings
from plateledger.web import install as install_pages

TAGS = [
    {"name": "ingest", "description": "Reads from cameras, agents and vendor systems."},
    {"name": "search", "description": "Investigative searches, decided by policy and logged."},
    {"name": "policy", "description": "Purposes, decision explanations, sharing partners."},
    {"name": "audit", "description": "The tamper-evident log: checkpoints, proofs, entries."},
    {"name": "auth", "description": "Log in and out; who the token belongs to."},
    {"name": "admin", "description": "Users, cameras, keys and agreements of your agency."},
    {"name": "hotlists", "description": "Hot lists, hits, dispositions and webhooks."},
    {"name": "alerts", "description": "Hot-list alerts as they happen (server-sent events)."},
    {"name": "alarms", "description": "Denial bursts, flagged reasons, throttles, logins."},
    {"name": "retention", "description": "Retention clocks, purges and legal holds."},
    {"name": "transparency", "description": "Each agency's public portal, from live data."},
    {"name": "reports", "description": "Statutory reports, each citing its statute."},
    {"name": "supervision", "description": "Operators' analytics, audit samples, sign-offs."},
]


def create_app(settings: Settings, *, settle_heap: bool = False) -> FastAPI:
    """Build the app. The catalog, read store and audit log open in the lifespan, so that
    building an app (for its OpenAPI schema, say) touches no data. ``settle_heap``: once
    started, leave the long-lived heap out of garbage collection (`heap.settle`; for a
    server process, not for apps built and dropped in one process, as tests do)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = Resources(settings)
        resources.install(app.state)
        resources.start()
        if settle_heap:
            heap.settle()
        try:
            yield
        finally:
            resources.close()

    app = FastAPI(
        title="plateledger",
        version=__version__,
        summary="ALPR reads, searches and alerts — every access decided by policy and logged",
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc: routes/docs.py, from vendored files
        redoc_url=None,
    )
    app.state.settings = settings
    app.add_middleware(NoStore)
    install_error_handlers(app)
    for module in (
        reads, images, image_views, searches, exports, policy, hotlists, alerts, retention,
        audit, auth, admin, alarms, zones, sharing_presets, transparency, reports,
        supervision, recognize, ingest, docs, basemap, tlog, approvals, cases, quarantine,
        federation, witnessing, federation_hotlists,
    ):
        app.include_router(module.router)
    install_pages(app)
    return app
