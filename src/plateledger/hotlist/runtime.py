"""``HotlistRuntime``: the hot-list parts one server process runs, wired together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from plateledger.audit import AuditLog
from plateledger.hotlist.gate import AlertGate
from plateledger.hotlist.hits import DEFAULT_HIT_RETENTION, HitStore
from plateledger.hotlist.index import HotlistIndex
from plateledger.hotlist.mqtt import MqttPublisher
from plateledger.hotlist.schema import create_tables
from plateledger.hotlist.service import AlertSink, HitService, SharedHits
from plateledger.hotlist.store import HotlistStore
from plateledger.hotlist.stream import AlertStream
from plateledger.hotlist.webhook import WebhookOutbox
from plateledger.hotlist.withheld import DEFAULT_PERIOD, WithheldRelease


@dataclass
class HotlistRuntime:
    """Lists, the index that follows them, hits, the SSE hub, webhooks and the service
    that ingest calls (``service.process(reads)``) after storing reads."""

    store: HotlistStore
    index: HotlistIndex
    hits: HitStore
    stream: AlertStream
    webhooks: WebhookOutbox
    service: HitService
    release: WithheldRelease
    mqtt: MqttPublisher | None = None

    @classmethod
    def open(
        cls,
        engine: Engine,
        audit: AuditLog,
        gate: AlertGate,
        *,
        mqtt: MqttPublisher | None = None,
        hit_retention: timedelta = DEFAULT_HIT_RETENTION,
        agency_name: Callable[[int], str] = str,
        sinks: Sequence[AlertSink] = (),
        shared: SharedHits | None = None,
        webhook_networks: str = "",
        max_entries: int | None = None,
        withheld_period: timedelta = DEFAULT_PERIOD,
    ) -> HotlistRuntime:
        """Create missing tables, load the index and wire the channels (nothing started).
        Every change of a list or its entries, and every disposition, is written with its
        entry in ``audit``. Hits on lists partner nodes shared go out through ``shared``.
        ``max_entries``: the most entries an agency's lists may hold in all.
        ``withheld_period``: withheld hits are published at the end of theirs."""
        create_tables(engine)
        store = HotlistStore(engine, file_gate=gate, audit_log=audit, agency_name=agency_name,
                             max_entries=max_entries)
        index = HotlistIndex()
        index.follow(store)
        hits = HitStore(engine, retention=hit_retention, audit_log=audit,
                        agency_name=agency_name)
        stream = AlertStream()
        webhooks = WebhookOutbox(engine, networks=webhook_networks)
        channels: list[AlertSink] = [stream, *sinks]
        if mqtt is not None:
            channels.append(mqtt)
        service = HitService(index, store, hits, gate, audit, webhooks=webhooks,
                             sinks=channels, agency_name=agency_name,
                             shared=shared, withheld_period=withheld_period)  # fmt: skip
        # looked for every minute (what other processes held), or four times a period
        poll = min(60.0, max(0.05, withheld_period.total_seconds() / 4))
        release = WithheldRelease(audit, poll=poll)
        return cls(store, index, hits, stream, webhooks, service, release, mqtt)

    def start(self) -> None:
        """Start the webhook dispatcher and the release of withheld hits, and connect to
        the MQTT broker (if any)."""
        self.webhooks.start()
        self.release.start()
        if self.mqtt is not None:
            self.mqtt.start(timeout=0)

    def close(self) -> None:
        self.release.stop()
        self.webhooks.close()
        if self.mqtt is not None:
            self.mqtt.stop()
