"""The catalog: agencies, cameras, users, keys, tokens, sharing agreements and declarations.

SQLAlchemy 2 over SQLite (under the data directory) by default, PostgreSQL by URL; the
schema is kept by Alembic migrations shipped in this package and applied by
`open_catalog`.

>>> catalog = open_catalog(settings)
>>> ucpd = catalog.add_agency("Union City PD", "ucpd", "municipal", "CA")
>>> key = catalog.issue_api_key(ucpd.id, label="intake")
"""

from plateledger.catalog.catalog import Catalog, open_catalog
from plateledger.catalog.errors import (
    AccountLocked,
    AuthError,
    CatalogError,
    Conflict,
    NotFound,
    SecondFactorMissing,
)
from plateledger.catalog.models import (
    AGENCY_KINDS,
    CAMERA_KINDS,
    ROLES,
    Agency,
    AgreementRow,
    ApiKey,
    Camera,
    DeclarationRow,
    User,
    Zone,
)
from plateledger.catalog.principals import IssuedToken, KeyPrincipal, Principal
from plateledger.catalog.sharing import AGREEMENT_ACTIONS
from plateledger.catalog.totp import new_totp_secret, totp_code, totp_uri
from plateledger.catalog.zones import ActiveZone

__all__ = [
    "AGENCY_KINDS",
    "AGREEMENT_ACTIONS",
    "CAMERA_KINDS",
    "ROLES",
    "AccountLocked",
    "ActiveZone",
    "Agency",
    "AgreementRow",
    "ApiKey",
    "AuthError",
    "Camera",
    "Catalog",
    "CatalogError",
    "Conflict",
    "DeclarationRow",
    "IssuedToken",
    "KeyPrincipal",
    "NotFound",
    "Principal",
    "SecondFactorMissing",
    "User",
    "Zone",
    "new_totp_secret",
    "open_catalog",
    "totp_code",
    "totp_uri",
]
