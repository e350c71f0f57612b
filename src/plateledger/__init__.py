"""plateledger: an ALPR data platform whose every access is decided by policy and logged."""

__version__ = "0.1.0"
