"""The web UI: investigator pages and the public transparency pages.

Server-rendered Jinja2 shells and small ES modules that call the JSON API. Every asset is
served from this package (no CDN, no build step): the UI works air-gapped.

>>> app = create_app(settings)
>>> install(app)   # the page routes, and the assets under /static
"""

from plateledger.web.pages import STATIC_DIR, install, router

__all__ = ["STATIC_DIR", "install", "router"]
