"""`plateledger simulate`: a synthetic city's reads, to a Parquet file or into a store."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from plateledger.sim import City, default_plan, write_parquet
from plateledger.store import ReadStore

out = Console()


def progress_bar(label: str, total: int) -> tuple[Progress, Callable[[int], None]]:
    bar = Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
    )
    task = bar.add_task(label, total=total)
    return bar, lambda done: bar.update(task, completed=done)


def load_city(
    store: ReadStore, city: City, *, reads: int, seed: int, days: float,
    retention_days: dict[int, int] | None = None,
) -> float:
    """Generate the city's reads into ``store`` with a progress bar; returns seconds taken."""
    start = datetime.now(UTC) - timedelta(days=days)
    bar, advance = progress_bar("simulating and loading reads", reads)
    begin = time.perf_counter()
    with bar:
        for table in city.generate(
            seed, reads, start, days, retention_days=retention_days, progress=advance
        ):
            store.insert_arrow(table)
    return time.perf_counter() - begin


def simulate(
    reads: Annotated[int, typer.Option(min=1, help="how many reads")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="the same seed gives the same reads")] = 1,
    days: Annotated[float, typer.Option(min=0.01, help="days of traffic, ending now")] = 14.0,
    vehicles: Annotated[int, typer.Option(min=100, help="vehicle population")] = 20_000,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="write a Parquet file", dir_okay=False)
    ] = None,
    into: Annotated[
        Path | None,
        typer.Option("--into", help="load into the embedded store of this data directory"),
    ] = None,
) -> None:
    """Simulate a small city (cameras, patrol cars, trips, convoys, OCR errors)."""
    if (out_file is None) == (into is None):
        raise typer.BadParameter("give exactly one of --out FILE or --into DATA_DIR")
    city = City(default_plan(vehicles=vehicles))
    if out_file is not None:
        bar, advance = progress_bar(f"writing {out_file.name}", reads)
        start = datetime.now(UTC) - timedelta(days=days)
        with bar:
            written = write_parquet(
                city, out_file, seed=seed, n_reads=reads, start=start, days=days,
                progress=advance,
            )
        out.print(f"{written:,} reads written to {out_file}")
        return
    assert into is not None
    store = ReadStore.open(data_dir=into / "store")
    try:
        seconds = load_city(store, city, reads=reads, seed=seed, days=days)
    finally:
        store.close()
    out.print(f"{reads:,} reads loaded into {into} in {seconds:.1f} s "
              f"({reads / seconds:,.0f} reads/s)")
