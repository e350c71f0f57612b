"""Federation: each agency's node keeps its reads and answers its partners itself.

Nodes hold Ed25519 keys (`keys`), register their partners out of band (`registry`), sign
their requests with HTTP Message Signatures (`signatures`, RFC 9421) and send them once
(`client`), and verify the requests they receive (`verify`). See docs/federation.md.
"""

from plateledger.federation.client import NodeAnswer, NodeClient, NodeLink
from plateledger.federation.errors import FederationError, RequestRefused
from plateledger.federation.keys import NodeKey, NodePublicKey
from plateledger.federation.registry import NODE_CHANGE, NodeRecord, NodeRegistry
from plateledger.federation.signatures import request_parts, sign_request
from plateledger.federation.verify import NodeVerifier, VerifiedNode

__all__ = [
    "NODE_CHANGE",
    "FederationError",
    "NodeAnswer",
    "NodeClient",
    "NodeKey",
    "NodeLink",
    "NodePublicKey",
    "NodeRecord",
    "NodeRegistry",
    "NodeVerifier",
    "RequestRefused",
    "VerifiedNode",
    "request_parts",
    "sign_request",
]
