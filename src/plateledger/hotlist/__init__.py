"""Hot lists: import (CSV, NCIC-style), the ingest-time matcher, alerts and dispositions."""

from plateledger.hotlist.alert import Alert, AlertRead, HitRecord
from plateledger.hotlist.category import Category, parse_category
from plateledger.hotlist.disposition import Disposition, DispositionStats, HitAction
from plateledger.hotlist.entry import ListEntry
from plateledger.hotlist.errors import (
    DispositionError,
    FileTypeRefused,
    HotlistError,
    ImportRefused,
    ListTooLarge,
    SubscriptionError,
    UnknownEntry,
    UnknownHit,
    UnknownList,
)
from plateledger.hotlist.gate import AlertGate, EngineAlertGate, FileTypeGate
from plateledger.hotlist.hits import HitStore
from plateledger.hotlist.importing import ImportReport, RowError, SourceRow, parse_file
from plateledger.hotlist.index import Hit, HotlistIndex, MatchKind
from plateledger.hotlist.mqtt import MqttPublisher
from plateledger.hotlist.runtime import HotlistRuntime
from plateledger.hotlist.schema import create_tables, metadata
from plateledger.hotlist.screening import entry_question, screen_words, screened_class
from plateledger.hotlist.service import ALERT_WITHHELD, AlertSink, DeliveryReport, HitService
from plateledger.hotlist.signature import signature_header, verify_signature
from plateledger.hotlist.store import Hotlist, HotlistStore, StoredEntry
from plateledger.hotlist.stream import AlertStream, AlertSubscription
from plateledger.hotlist.webhook import OutboxItem, OutboxStatus, WebhookOutbox, WebhookSubscription
from plateledger.policy.filetype import FileType, UnknownFileType, parse_file_type

__all__ = [
    "ALERT_WITHHELD",
    "Alert",
    "AlertGate",
    "AlertRead",
    "AlertSink",
    "AlertStream",
    "AlertSubscription",
    "Category",
    "DeliveryReport",
    "Disposition",
    "DispositionError",
    "DispositionStats",
    "EngineAlertGate",
    "FileType",
    "FileTypeGate",
    "FileTypeRefused",
    "Hit",
    "HitAction",
    "HitRecord",
    "HitService",
    "HitStore",
    "Hotlist",
    "HotlistError",
    "HotlistIndex",
    "HotlistRuntime",
    "HotlistStore",
    "ImportRefused",
    "ImportReport",
    "ListEntry",
    "ListTooLarge",
    "MatchKind",
    "MqttPublisher",
    "OutboxItem",
    "OutboxStatus",
    "RowError",
    "SourceRow",
    "StoredEntry",
    "SubscriptionError",
    "UnknownEntry",
    "UnknownFileType",
    "UnknownHit",
    "UnknownList",
    "WebhookOutbox",
    "WebhookSubscription",
    "create_tables",
    "entry_question",
    "metadata",
    "parse_category",
    "parse_file",
    "parse_file_type",
    "screen_words",
    "screened_class",
    "signature_header",
    "verify_signature",
]
