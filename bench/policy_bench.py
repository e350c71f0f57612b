"""Policy decision latency: one request over 200 owner agencies, ~160 agreements each way.

Run ``python -m bench.policy_bench``; writes ``bench/results/policy.json`` and prints a
Markdown table. An agency's first request builds the per-owner policy sets it needs (cold);
later requests of the same agencies reuse them (warm, the steady state of a long-lived
engine whose cache holds the active agencies' sets).
"""

from __future__ import annotations

import dataclasses
import random
import resource
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.timing import latencies_ms, machine, write_result
from plateledger.policy import (
    SEARCH_ACTIONS,
    AccessRequest,
    Action,
    AgencyFacts,
    AgencyKind,
    Agreement,
    PolicyEngine,
    Purpose,
    default_packs,
)

AGENCIES = 200
AGREEMENTS_EACH = 160
REQUESTS = 200
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
STATES = ["CA", "IL", "VA", "NH", "WA", "ME", "VT", "MN", "TX", "TX", "FL", "NV", "AZ", "OH"]
KINDS = [AgencyKind.MUNICIPAL] * 6 + [AgencyKind.COUNTY] * 3 + [AgencyKind.STATE,
                                                                 AgencyKind.FEDERAL]


def build(rng: random.Random) -> tuple[list[AgencyFacts], list[Agreement]]:
    agencies = []
    for i in range(1, AGENCIES + 1):
        state = rng.choice(STATES)
        agencies.append(AgencyFacts(
            i, f"agency-{i}", rng.choice(KINDS), state, default_packs(state),
            case_number_required=rng.random() < 0.3,
        ))
    agreements = []
    n = 0
    for owner in agencies:
        for recipient in rng.sample([a for a in agencies if a.id != owner.id], AGREEMENTS_EACH):
            n += 1
            agreements.append(Agreement(
                n, owner.id, recipient.id, SEARCH_ACTIONS | {Action.RECEIVE_ALERT},
                None if rng.random() < 0.5 else frozenset(rng.sample(sorted(Purpose), 5)),
                rng.choice([None, 30, 90]), rng.random() < 0.5, rng.choice([None, 1000]),
                rng.random() < 0.3, NOW - timedelta(days=rng.randint(1, 900)),
                rng.choice([None, NOW + timedelta(days=365), NOW - timedelta(days=3)]),
            ))
    return agencies, agreements


def request(rng: random.Random, owners: list[int], *, proxy: bool) -> AccessRequest:
    agency = rng.choice(owners)
    return AccessRequest(
        user_id=rng.randint(1, 10_000), user_agency_id=agency,
        requested_by_agency_id=rng.choice(owners) if proxy else agency,
        action=rng.choice(sorted(SEARCH_ACTIONS)), purpose=rng.choice(sorted(Purpose)),
        case_number=rng.choice([None, "25-00417"]),
        reason=rng.choice(["white sedan seen leaving the shooting on Fifth Street",
                           "investigation", "assist ICE"]),
        lookback_days=rng.randint(1, 90), owners=owners, now=NOW,
    )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    rng = random.Random(1)
    agencies, agreements = build(rng)
    start = time.perf_counter()
    engine = PolicyEngine(agencies, agreements, [])
    build_ms = (time.perf_counter() - start) * 1000
    owners = [a.id for a in agencies]

    # Cold: the first request of an agency builds its per-owner policy sets.
    active = rng.sample(owners, 40)
    cold_requests = [request(random.Random(a), [a], proxy=False) for a in active]
    cold_requests = [dataclasses.replace(r, user_agency_id=a, requested_by_agency_id=a,
                                         owners=owners)
                     for r, a in zip(cold_requests, active, strict=True)]
    rss_before = _rss_mb()
    cold = latencies_ms([lambda r=r: engine.decide(r) for r in cold_requests], warmup=0)
    cached_mb_per_set = (_rss_mb() - rss_before) / max(1, len(active) * len(owners))
    # Warm: later requests of those agencies (a long-lived engine keeps their sets).
    warm_requests = [dataclasses.replace(request(rng, owners, proxy=False),
                                         user_agency_id=(a := rng.choice(active)),
                                         requested_by_agency_id=a)
                     for _ in range(REQUESTS)]
    warm = latencies_ms([lambda r=r: engine.decide(r) for r in warm_requests])
    proxy_requests = [request(rng, owners, proxy=True) for _ in range(REQUESTS)]
    for r in proxy_requests:
        engine.decide(r)
    proxy = latencies_ms([lambda r=r: engine.decide(r) for r in proxy_requests])
    partner_ms = []
    for owner in owners[:5]:
        start = time.perf_counter()
        engine.sharing_partners(owner, NOW)
        partner_ms.append((time.perf_counter() - start) * 1000)

    rows = {
        "decide, warm (200 owners)": warm,
        "decide, requested_by another agency (200 owners x 2 sides)": proxy,
        "decide, an agency's first request (200 owners, sets built)": cold,
    }
    result = {
        "machine": machine(),
        "agencies": AGENCIES,
        "agreements": len(agreements),
        "agreements_per_owner": AGREEMENTS_EACH,
        "engine_build_ms": round(build_ms, 1),
        "decide": rows,
        "sharing_partners_median_ms": round(statistics.median(partner_ms), 1),
        "memory_kb_per_cached_owner_set": round(cached_mb_per_set * 1024, 1),
        "target_p50_ms": 20,
    }
    path = write_result("policy", result)
    print(f"{AGENCIES} agencies, {len(agreements)} agreements; engine built in "
          f"{build_ms:.0f} ms\n")
    print("| request | n | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['n']} | {row['p50_ms']} | {row['p99_ms']} |")
    print(f"\nmemory per cached (agency, owner) policy set: "
          f"{result['memory_kb_per_cached_owner_set']} KB")
    print(f"\nsharing_partners (199 agencies x 10 actions x {len(Purpose)} purposes): "
          f"median {result['sharing_partners_median_ms']} ms over 5 owners")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
