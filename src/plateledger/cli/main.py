"""The top-level `plateledger` command."""

from __future__ import annotations

import typer

from plateledger.cli import (
    admin,
    audit,
    demo,
    hotlist,
    ingesting,
    node,
    profiles,
    quarantine,
    recognize,
    reports,
    retention,
    searching,
    serving,
    sharing,
    simulating,
    zones,
)
from plateledger.cli import store as store_commands

app = typer.Typer(
    name="plateledger",
    help="ALPR reads, searches and alerts — every access decided by policy and logged.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

app.command()(demo.demo)
app.command(name="demo-code")(demo.demo_code)
app.command()(serving.serve)
app.command()(serving.openapi)
app.command()(ingesting.ingest)
app.add_typer(searching.search_app, name="search")
app.command()(searching.login)
app.command()(simulating.simulate)
app.add_typer(audit.app, name="audit")
app.add_typer(admin.app, name="admin")
admin.app.add_typer(profiles.app, name="profile")
admin.app.add_typer(zones.app, name="zone")
admin.app.add_typer(sharing.app, name="sharing")
admin.app.add_typer(quarantine.app, name="quarantine")
admin.app.add_typer(quarantine.alias_app, name="camera-alias")
app.add_typer(retention.app, name="retention")
app.add_typer(reports.app, name="reports")
app.add_typer(hotlist.app, name="hotlist")
app.command()(recognize.recognize)
app.command()(recognize.agent)
app.command()(recognize.mqtt)
app.add_typer(store_commands.app, name="store")
app.add_typer(node.app, name="node")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
