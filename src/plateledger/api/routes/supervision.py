"""Supervisors' tools: per-operator analytics with flags, and random audit samples that a
supervisor reviews and signs off. Who may read is decided by the policy set and every
reading, draw and sign-off is logged first (`plateledger.access.supervision`)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from plateledger.access.supervision import FINDINGS, MAX_SAMPLE, Supervision
from plateledger.api.deps import AuditLogDep, CatalogDep, CurrentUser, PolicyDep, SettingsDep

__all__ = ["router"]

router = APIRouter(prefix="/v1/supervision", tags=["supervision"])

Days = Annotated[int, Query(ge=1, le=366, description="days up to now")]
Sample = Annotated[int, Path(ge=0, le=2**62, description="audit index of the sample")]


def _supervision(log: AuditLogDep, catalog: CatalogDep, policy: PolicyDep,
                 settings: SettingsDep) -> Supervision:
    return Supervision(log, catalog, policy, settings.secret_key)


@router.get("/operators", summary="Each operator's searches, with what is flagged")
async def operators(user: CurrentUser, log: AuditLogDep, catalog: CatalogDep,
                    policy: PolicyDep, settings: SettingsDep,
                    days: Days = 30) -> dict[str, Any]:
    tools = _supervision(log, catalog, policy, settings)
    return await asyncio.to_thread(tools.operators, user, days)


class DrawBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: int = Field(default=10, ge=1, le=MAX_SAMPLE)
    days: int = Field(default=30, ge=1, le=366)


@router.post("/samples", status_code=201, summary="Draw a random sample of searches to review")
async def draw(body: DrawBody, user: CurrentUser, log: AuditLogDep, catalog: CatalogDep,
               policy: PolicyDep, settings: SettingsDep) -> dict[str, Any]:
    tools = _supervision(log, catalog, policy, settings)
    return await asyncio.to_thread(tools.draw, user, body.size, body.days)


@router.get("/samples/{sample}", summary="A drawn sample, its searches and its reviews")
async def show(sample: Sample, user: CurrentUser, log: AuditLogDep, catalog: CatalogDep,
               policy: PolicyDep, settings: SettingsDep) -> dict[str, Any]:
    tools = _supervision(log, catalog, policy, settings)
    return await asyncio.to_thread(tools.show, user, sample)


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    findings: dict[int, Annotated[str, Field(max_length=32)]] = Field(
        max_length=MAX_SAMPLE,
        description=f"audit index of each search of the sample: one of {', '.join(FINDINGS)} "
        f"(a sample holds at most {MAX_SAMPLE} searches)")
    note: str = Field(default="", max_length=2000)


@router.post("/samples/{sample}/review", status_code=201,
             summary="Sign off a sample: a finding for each of its searches")
async def review(sample: Sample, body: ReviewBody, user: CurrentUser, log: AuditLogDep,
                 catalog: CatalogDep, policy: PolicyDep,
                 settings: SettingsDep) -> dict[str, Any]:
    tools = _supervision(log, catalog, policy, settings)
    return await asyncio.to_thread(tools.review, user, sample, body.findings, body.note)
