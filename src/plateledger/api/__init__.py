"""The HTTP API: a small app factory, one router per resource."""

from plateledger.api.app import create_app

__all__ = ["create_app"]
