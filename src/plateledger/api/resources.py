"""What the server holds open while it runs, built from settings and closed on shutdown."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from plateledger.access import AccessGate
from plateledger.access.alarm import AlarmConfig, AlarmMonitor
from plateledger.access.clocks import agency_retention
from plateledger.access.policy_source import PolicyAlertGate, PolicyDecider, PolicySource
from plateledger.access.shared_hotlists import SharedHotlists
from plateledger.audit import AuditLog, NoteSigner, new_entry
from plateledger.audit.witness import CosignatureStore
from plateledger.catalog import ActiveZone, Catalog, KeyPrincipal, open_catalog
from plateledger.federation import NodeKey, NodeLink
from plateledger.federation.witnessing import CrossWitness
from plateledger.hotlist.runtime import HotlistRuntime
from plateledger.ingest.batcher import ReadBatcher
from plateledger.ingest.enrich import CameraInfo, Owner, zone_drop_fields
from plateledger.policy.clocks import RetentionError
from plateledger.read import PlateRead
from plateledger.recognize import Recognizer, load_recognizer
from plateledger.retention import HoldStore, RetentionPolicy, RetentionScheduler
from plateledger.settings import Settings
from plateledger.store import ReadStore
from plateledger.store.image_purges import ImagesGone
from plateledger.store.images import open_image_store
from plateledger.transparency.answers import AnswerCache
from plateledger.transparency.scheduler import ReportScheduler

log = logging.getLogger(__name__)


@dataclass
class CatalogCache:
    """Owner and camera facts for the ingest hot path, refreshed when the catalog changes."""

    catalog: Catalog
    check_every: float = 1.0
    """Seconds between looks at the catalog's generation (a query) on the hot path."""
    _generation: int = -1
    _checked: float = 0.0
    _owners: dict[int, Owner] = field(default_factory=dict)
    _policies: dict[int, RetentionPolicy] = field(default_factory=dict)
    _cameras: dict[str, CameraInfo | None] = field(default_factory=dict)
    _names: dict[int, str] = field(default_factory=dict)
    _zones: dict[int, tuple[ActiveZone, ...]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _fresh(self, *, now_or_never: bool = False) -> None:
        """Forget what was read before the catalog last changed, looking at most every
        ``check_every`` seconds; every time where ``now_or_never``."""
        now = time.monotonic()
        if now - self._checked < self.check_every and not now_or_never:
            return
        self._checked = now
        generation = self.catalog.generation()
        if generation != self._generation:
            with self._lock:
                self._owners.clear()
                self._cameras.clear()
                self._policies.clear()
                self._names.clear()
                self._zones.clear()
                self._generation = generation

    def retention(self, agency_id: int) -> RetentionPolicy:
        """The agency's clocks: its law packs' presets and its own settings, strictest wins."""
        self._fresh()
        policy = self._policies.get(agency_id)
        if policy is None:
            agency = self.catalog.agency(agency_id)
            if agency is None:
                raise LookupError(f"agency {agency_id} no longer exists")
            policy = agency_retention(agency)
            self._policies[agency_id] = policy
        return policy

    def all_retention(self) -> dict[int, RetentionPolicy]:
        """Every agency's clocks, for the purge. An agency whose clocks cannot be worked
        out (a catalog written before its values were checked) is left out and logged: its
        reads wait for a fix, and no other agency's purge waits with them."""
        policies: dict[int, RetentionPolicy] = {}
        for agency in self.catalog.agencies():
            try:
                policies[agency.id] = agency_retention(agency)
            except RetentionError as exc:
                log.error("agency %s is left out of the purge: %s", agency.slug, exc)
        return policies

    def owner(self, key: KeyPrincipal) -> Owner:
        self._fresh()
        base = self._owners.get(key.agency_id)
        if base is None:
            agency = self.catalog.agency(key.agency_id)
            if agency is None:  # a key outlived its agency: refuse rather than guess
                raise LookupError(f"agency {key.agency_id} of this key no longer exists")
            base = Owner(agency.id, agency.home_state, self.retention(agency.id))
            self._owners[key.agency_id] = base
        if key.camera_id is None:
            return base
        return Owner(base.agency_id, base.home_state, base.retention, key.camera_id)

    def agency_name(self, agency_id: int) -> str:
        """The agency's slug, looked up when first needed after each catalog change (an
        agency added while the server runs is named, not numbered); its id as text when
        there is no such agency."""
        self._fresh()
        name = self._names.get(agency_id)
        if name is None:
            agency = self.catalog.agency(agency_id)
            name = str(agency_id) if agency is None else str(agency.slug)
            if agency is not None:
                self._names[agency_id] = name
        return name

    def zones(self, agency_id: int) -> tuple[ActiveZone, ...]:
        """The agency's active collection zones, read once per catalog generation. The
        generation is looked at on every call (once per posted batch and owner): a zone
        is in force for the next read posted after it was added, not a second later."""
        self._fresh(now_or_never=True)
        found = self._zones.get(agency_id)
        if found is None:
            generation = self._generation
            found = tuple(self.catalog.active_zones(agency_id))
            with self._lock:  # never keep zones read before a change another post saw
                if self._generation == generation:
                    self._zones[agency_id] = found
        return found

    def camera(self, camera_id: str) -> CameraInfo | None:
        self._fresh()
        if camera_id not in self._cameras:
            camera = self.catalog.camera(camera_id)
            self._cameras[camera_id] = (
                None if camera is None or not camera.active
                else CameraInfo(camera.camera_id, camera.owner_id, camera.lat, camera.lon)
            )
        return self._cameras[camera_id]


class Ingest:
    """What the ingest routes need: the owner and camera facts of a key, the retention
    clocks, the owners' collection zones and the audit log that counts the reads dropped
    in them, the hot lists (a hit keeps a read longer), the batcher, and the recognizer
    (loaded on first use)."""

    def __init__(
        self, cache: CatalogCache, batcher: ReadBatcher, hotlist: HotlistRuntime,
        recognizer_engine: str, audit_log: AuditLog,
    ) -> None:
        self.owner: Callable[[KeyPrincipal], Owner] = cache.owner
        self.camera: Callable[[str], CameraInfo | None] = cache.camera
        self.retention_for: Callable[[int], RetentionPolicy] = cache.retention
        self.zones: Callable[[int], tuple[ActiveZone, ...]] = cache.zones
        self._agency_name = cache.agency_name
        self.audit_log = audit_log
        self.batcher = batcher
        self.hotlist = hotlist
        self._recognizer_engine = recognizer_engine
        self._recognizer: Recognizer | None = None
        self._lock = threading.Lock()

    def record_zone_drops(self, counts: dict[int, dict[str, int]]) -> None:
        """Append one ``zone_drop`` entry per owner (one owner per key: one entry per
        batch) with the reads each rule dropped; raises if the log cannot take it."""
        self.audit_log.append_many([
            new_entry("zone_drop", **zone_drop_fields(self._agency_name(owner), per_rule))
            for owner, per_rule in sorted(counts.items())
        ])

    def recognizer(self) -> Recognizer:
        with self._lock:
            if self._recognizer is None:
                self._recognizer = load_recognizer(self._recognizer_engine)
            return self._recognizer


class Resources:
    """Catalog, read store, batcher, audit log and image store of one server process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.catalog = open_catalog(settings)
        self.store = ReadStore.open(
            data_dir=settings.store_dir, url=settings.store_url,
            partitioning=settings.partitioning,
        )
        signer = NoteSigner.load_or_create(settings.data_dir, settings.audit_origin)
        self.audit_log = AuditLog(self.catalog.engine, signer=signer)
        self.audit_log.check_contents()  # refuse to start on a tampered log
        self.policy = PolicySource(self.catalog)
        self.access = AccessGate(self.catalog, self.audit_log, PolicyDecider(self.policy))
        self.alarms = AlarmMonitor(self.audit_log, self.catalog, AlarmConfig(
            denials=settings.alarm_denials, throttle_denials=settings.throttle_denials,
            node_throttle_denials=settings.node_throttle_denials,
            window=settings.alarm_window_seconds,
        ))
        self.access.alarms = self.alarms
        self.cache = CatalogCache(self.catalog)
        self.node_link = NodeLink(
            lambda: NodeKey.load_or_create(settings.data_dir),
            timeout=settings.federation_timeout_seconds,
        )
        self.shared_hotlists = SharedHotlists(
            self.catalog, self.audit_log, agency_name=self.cache.agency_name,
            node_key=lambda: NodeKey.load_or_create(settings.data_dir),
            timeout=settings.federation_timeout_seconds,
        )
        self.hotlist = HotlistRuntime.open(
            self.catalog.engine, self.audit_log, PolicyAlertGate(self.policy),
            agency_name=self.cache.agency_name, shared=self.shared_hotlists.lists,
            webhook_networks=settings.webhook_networks,
            max_entries=settings.hotlist_max_entries,
            hit_retention=timedelta(days=settings.hit_retention_days),
            withheld_period=timedelta(seconds=settings.withheld_publish_seconds),
        )
        self.shared_hotlists.attach(self.hotlist)
        self.hotlist.hits.read_clock = self._hit_clock
        self.batcher = ReadBatcher(
            self.store, max_reads=settings.ingest_batch_reads,
            max_delay=settings.ingest_batch_seconds,
            on_commit=self._deliver_alerts,
        )
        self.images = open_image_store(settings.images_url, settings.images_dir)
        self.access.images = self.images
        self.access.images_gone = ImagesGone(self.store)
        self.ingest = Ingest(self.cache, self.batcher, self.hotlist, settings.recognizer_engine,
                             self.audit_log)
        self.retention = RetentionScheduler(
            self.store, self.audit_log, HoldStore(self.catalog.engine, self.audit_log),
            self.cache.all_retention,
            interval=timedelta(minutes=settings.purge_every_minutes), images=self.images,
            gone=self.access.images_gone, hits=self.hotlist.hits.purge_expired,
        )
        self.reports = ReportScheduler(
            self.catalog, self.audit_log, self.store, settings.reports_folder,
            interval=timedelta(minutes=settings.reports_every_minutes),
            first_delay=timedelta(minutes=settings.reports_first_minutes),
        ) if settings.reports_schedule else None
        self.answers = AnswerCache(timedelta(seconds=settings.transparency_cache_seconds))
        self.cosignatures = CosignatureStore(settings.data_dir / "cosignatures")
        self.cross_witness = CrossWitness(
            self.catalog, self.audit_log, self.cosignatures,
            interval=timedelta(minutes=settings.witness_every_minutes),
            node_key=lambda: NodeKey.load_or_create(settings.data_dir),
        )

    def _hit_clock(self, owner_id: int) -> timedelta | None:
        """The read owner's clock for hits (a hit row lives no longer than its read);
        None for an owner whose clocks cannot be worked out (the hit retention alone)."""
        try:
            return self.cache.retention(owner_id).clock(True)
        except (LookupError, RetentionError):
            return None

    def _deliver_alerts(self, reads: list[PlateRead], matched: list[Any] | None) -> None:
        """A written batch's hits, from the match made when its reads arrived (`keep`; or
        matched now, where a request came without)."""
        self.hotlist.service.process(reads, matched=matched)

    def install(self, state: Any) -> None:
        """Put each service where the typed dependencies (`plateledger.api.deps`) find it."""
        state.catalog = self.catalog
        state.store = self.store
        state.audit_log = self.audit_log
        state.images = self.images
        state.ingest = self.ingest
        state.retention = self.retention
        state.access = self.access
        state.policy = self.policy
        state.hotlist = self.hotlist
        state.shared_hotlists = self.shared_hotlists
        state.alarms = self.alarms
        state.reports = self.reports
        state.transparency_answers = self.answers
        state.tlog_cosignatures = self.cosignatures
        state.cross_witness = self.cross_witness
        state.node_link = self.node_link

    def start(self) -> None:
        self.hotlist.start()
        self.shared_hotlists.start()
        self.retention.start()
        if self.reports is not None:
            self.reports.start()
        self.cross_witness.start()

    def close(self) -> None:
        self.cross_witness.stop(timeout=60)
        if self.reports is not None:
            self.reports.stop(timeout=60)
        self.retention.stop(timeout=60)
        self.batcher.close()
        self.shared_hotlists.close()
        self.hotlist.close()
        self.store.close()
        self.node_link.close()
        self.catalog.engine.dispose()
