"""The `plateledger` command line (Typer)."""
