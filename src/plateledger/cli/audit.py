"""``plateledger audit``: print the log key, verify the log, witness it, fetch checkpoints.

``--url`` talks to a running server over its public endpoints; ``--data-dir`` opens
``<data-dir>/catalog.sqlite`` read-only and the key under ``<data-dir>/keys/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, create_engine

from plateledger.audit import AuditError, AuditLog, NoteError, NoteSigner
from plateledger.audit.note import KEY_FILE as SIGNER_KEY_FILE
from plateledger.audit.note import VERIFIER_FILE
from plateledger.audit.remote import RemoteLog
from plateledger.audit.tiles import TileLog
from plateledger.audit.verification import LogReport, verify_log
from plateledger.audit.witness import KEY_FILE as WITNESS_KEY_FILE
from plateledger.audit.witness import Cosigner, cosign_latest, push_cosignature
from plateledger.audit.witness import witness as run_witness
from plateledger.settings import Settings

app = typer.Typer(
    help="Check the tamper-evident audit log: keys, checkpoints, verification, witnessing.",
    no_args_is_help=True,
)
console = Console()
errors = Console(stderr=True)

Url = Annotated[str | None, typer.Option("--url", help="base URL of a running server")]
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="data directory of a local installation")
]
Key = Annotated[
    str | None, typer.Option("--key", help="verifier key `name+id+key` to check signatures")
]


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=1)


def read_only_engine(data_dir: Path) -> Engine:
    """Open ``<data_dir>/catalog.sqlite`` read-only; it must exist."""
    path = (data_dir / "catalog.sqlite").resolve()
    if not path.is_file():
        raise AuditError(f"no catalog database at `{path}`")
    return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")


def _local_verifier_key(data_dir: Path) -> str:
    public = data_dir / "keys" / VERIFIER_FILE
    if public.is_file():
        return public.read_text(encoding="utf-8").strip()
    return NoteSigner.load(data_dir).verifier_key()


def _choose(url: str | None, data_dir: Path | None) -> None:
    if (url is None) == (data_dir is None):
        raise _fail("give exactly one of `--url` and `--data-dir`")


@app.command()
def key(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="data directory")],
    origin: Annotated[
        str | None, typer.Option(help="create the key with this log name if there is none "
                                 "(default: the server's, PLATELEDGER_AUDIT_ORIGIN)")
    ] = None,
) -> None:
    """Print the verifier key of the log under DATA_DIR (publish it where people can see).

    Before the server's first start there is no key yet: in a data directory that exists
    (`plateledger admin` made its catalog there), it is made as the server would make it,
    named ``origin`` or the server's own log name (`Settings.audit_origin`)."""
    try:
        keys = data_dir / "keys"
        has_key = (keys / VERIFIER_FILE).is_file() or (keys / SIGNER_KEY_FILE).is_file()
        if origin is None and not has_key and data_dir.is_dir():
            origin = Settings(data_dir=data_dir).audit_origin
        if origin is not None:
            signer = NoteSigner.load_or_create(data_dir, origin)
            console.print(signer.verifier_key(), highlight=False, soft_wrap=True)
        else:
            console.print(_local_verifier_key(data_dir), highlight=False, soft_wrap=True)
    except (AuditError, OSError) as exc:
        raise _fail(str(exc)) from exc


@app.command()
def checkpoint(url: Url = None, data_dir: DataDir = None) -> None:
    """Print the current signed checkpoint; save it to verify against later."""
    _choose(url, data_dir)
    try:
        if url is not None:
            remote = RemoteLog.connect(url)
            try:
                note = remote.checkpoint()
            finally:
                remote.close()
        else:
            assert data_dir is not None
            log = AuditLog(read_only_engine(data_dir), signer=NoteSigner.load(data_dir))
            note = log.checkpoint()
    except AuditError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(note, nl=False)


def _print_report(report: LogReport) -> None:
    table = Table(show_header=False, box=None)
    table.add_row("entries", str(report.size))
    table.add_row("root hash", report.root_hash.hex())
    if report.checkpoint is not None:
        table.add_row("signed checkpoint", f"{report.checkpoint.origin} @ {report.checkpoint.size}")
    console.print(table)


@app.command()
def verify(
    url: Url = None,
    data_dir: DataDir = None,
    saved: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="a checkpoint saved earlier: the log must extend it"),
    ] = None,
    verifier_key: Key = None,
) -> None:
    """Recompute the log and check it against its signed checkpoint (and a saved one)."""
    _choose(url, data_dir)
    saved_note = saved.read_text(encoding="utf-8") if saved is not None else None
    try:
        if url is not None:
            remote = RemoteLog.connect(url)
            try:
                if verifier_key is None:
                    verifier_key = remote.verifier_key()
                    errors.print(
                        "[yellow]warning:[/] using the key the server announces; "
                        "give `--key` to check against a key published elsewhere"
                    )
                report = verify_log(remote, verifier_key=verifier_key, saved_checkpoint=saved_note)
            finally:
                remote.close()
        else:
            assert data_dir is not None
            engine = read_only_engine(data_dir)
            key_text = verifier_key or _local_verifier_key(data_dir)
            try:
                signer: NoteSigner | None = NoteSigner.load(data_dir)
            except (NoteError, OSError):
                signer = None  # verifying without the private key: own checkpoint unchecked
            log = AuditLog(engine, signer=signer)
            report = verify_log(log, verifier_key=key_text, saved_checkpoint=saved_note)
    except AuditError as exc:
        raise _fail(str(exc)) from exc
    _print_report(report)
    if not report.ok:
        first = report.first_bad
        errors.print(f"[bold red]FAILED[/] first problem: {first}", highlight=False)
        for finding in report.findings:
            errors.print(f"  - {finding}", highlight=False)
        raise typer.Exit(code=1)
    console.print("[bold green]OK[/] every entry, node and checkpoint checks out")


@app.command()
def witness(
    url: Annotated[str, typer.Option("--url", help="base URL of a running server")],
    directory: Annotated[Path, typer.Option(
        "--state", "--dir", help="the witness's state: saved checkpoints, pinned key, "
        "cosigning key")],
    verifier_key: Key = None,
    cosign: Annotated[str | None, typer.Option(
        "--cosign", help="act as the witness NAME: read the log's tiles, cosign a checkpoint "
        "that extends the last one saved and hand the cosignature to the log")] = None,
    tiles: Annotated[str | None, typer.Option(
        "--tiles", help="the log's tlog-tiles prefix (default: URL/v1/audit/tlog)")] = None,
) -> None:
    """Save the server's checkpoint in the state directory after checking it extends the
    last one saved; with --cosign, also cosign it and hand the cosignature to the log."""
    prefix = tiles or f"{url.rstrip('/')}/v1/audit/tlog"
    try:
        if cosign is None:
            result = run_witness(url, directory, verifier_key=verifier_key)
        else:
            if verifier_key is None and not (directory / WITNESS_KEY_FILE).exists():
                announced = RemoteLog.connect(url)
                try:
                    verifier_key = announced.verifier_key()  # trusted once, then pinned
                finally:
                    announced.close()
            source = TileLog.connect(prefix)
            try:
                result = run_witness(source, directory, verifier_key=verifier_key)
            finally:
                source.close()
    except AuditError as exc:
        raise _fail(str(exc)) from exc
    if result.key_pinned_now:
        errors.print(f"[yellow]pinned the verifier key in[/] {directory}", highlight=False)
    if not result.ok:
        raise _fail(f"{result.status}: {result.message}")
    console.print(f"[bold green]{result.status}[/] {result.message}", highlight=False)
    if cosign is not None:
        try:
            cosigner = Cosigner.load_or_create(directory, cosign)
            push_cosignature(prefix, cosign_latest(directory, cosigner))
        except AuditError as exc:
            raise _fail(str(exc)) from exc
        console.print(f"cosigned as {cosigner.verifier_key()}", highlight=False, soft_wrap=True)


@app.command("rotate-key")
def rotate_key(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="data directory")],
    catalog: Annotated[
        str | None, typer.Option("--catalog", help="catalog database URL (default: SQLite)")
    ] = None,
) -> None:
    """Replace the log's signing key (the server must be stopped). The old key signs the
    new verifier key in a `log_key_rotation` entry, so witnesses can follow; publish the
    new key printed here."""
    from plateledger.catalog import open_catalog
    from plateledger.settings import Settings
    from plateledger.store import StoreLocked
    from plateledger.store.embedded import holding

    settings = Settings(data_dir=data_dir, catalog_url=catalog)
    try:
        with holding(settings.store_dir):  # no server may sign with the old key meanwhile
            opened = open_catalog(settings)
            try:
                signer = NoteSigner.load_or_create(data_dir, settings.audit_origin)
                new = AuditLog(opened.engine, signer=signer).rotate_key(data_dir)
            finally:
                opened.engine.dispose()
    except StoreLocked as exc:
        raise _fail(f"a server holds `{settings.store_dir}`: stop it before rotating the "
                    "log key, so that nothing is signed with the old key meanwhile") from exc
    except (AuditError, OSError) as exc:
        raise _fail(str(exc)) from exc
    console.print(f"old key: {signer.verifier_key()}", highlight=False, soft_wrap=True)
    console.print(f"new key: {new.verifier_key()}", highlight=False, soft_wrap=True)


@app.command("export")
def export_entries(
    url: Annotated[str, typer.Option("--url", help="base URL of a running server")],
    token: Annotated[str, typer.Option("--token", envvar="PLATELEDGER_TOKEN",
                                       help="an auditor's or supervisor's bearer token")],
    out: Annotated[Path, typer.Option("--out", help="file to write")],
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or ndjson")] = "csv",
    since: Annotated[str | None, typer.Option("--since", help="from (RFC 3339)")] = None,
    until: Annotated[str | None, typer.Option("--until", help="until (RFC 3339)")] = None,
    user: Annotated[str | None, typer.Option("--user", help="who acted")] = None,
    agency: Annotated[str | None, typer.Option(
        "--agency", help="agency slug: whose user acted, or for whom")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose")] = None,
    offense: Annotated[str | None, typer.Option("--offense", help="NIBRS code")] = None,
    case: Annotated[str | None, typer.Option("--case", help="case number")] = None,
    flag: Annotated[str | None, typer.Option("--flag", help="a reason flag")] = None,
    decision: Annotated[str | None, typer.Option(
        "--decision", help="allowed (every owner released) or denied (one or more denied)"
    )] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="search type")] = None,
) -> None:
    """Write the accesses your agency may see in full, filtered (GET /v1/audit/export)."""
    import httpx

    given = {"since": since, "until": until, "user": user, "agency": agency,
             "purpose": purpose, "offense": offense, "case": case, "flag": flag,
             "decision": decision, "kind": kind}
    params = {"format": fmt} | {k: v for k, v in given.items() if v is not None}
    try:
        response = httpx.get(f"{url.rstrip('/')}/v1/audit/export", params=params,
                             headers={"Authorization": f"Bearer {token}"}, timeout=300)
    except httpx.HTTPError as exc:
        raise _fail(f"cannot reach {url}: {exc}") from exc
    if response.status_code != 200:
        raise _fail(f"{response.status_code}: {response.text[:500]}")
    out.write_bytes(response.content)
    console.print(f"wrote {response.headers.get('X-Exported-Count', '?')} rows to {out}",
                  highlight=False)
