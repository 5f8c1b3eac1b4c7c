"""The certificate registry: certificates, producers, products, batches, serials, signed codes and their verification.

Names are imported on first use, so `labelgen --help` and the commands that do not touch the
registry start without loading SQLAlchemy and the cryptography library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labelgen.registry.apikeys import NewApiKey, Principal, Role
    from labelgen.registry.database import make_engine, upgrade_database
    from labelgen.registry.history import HistoryReport
    from labelgen.registry.inputs import (
        AllocationInput,
        BatchInput,
        CertificateInput,
        ProductInput,
        RenewalInput,
        parse_input,
    )
    from labelgen.registry.lookup import Verification, VerificationStatus, verification_document
    from labelgen.registry.records import (
        BatchRecord,
        CertificateRecord,
        HistoryEntry,
        ProducerRecord,
        ProductRecord,
        SerialAllocationRecord,
    )
    from labelgen.registry.serials import new_serial
    from labelgen.registry.service import Registry
    from labelgen.registry.settings import RegistrySettings
    from labelgen.registry.signing import (
        PUBLIC_KEYS_PATH,
        Signer,
        SigningKeyInfo,
        UnitClaims,
        keys_from_document,
    )
    from labelgen.registry.verify import (
        OfflineResult,
        UnitCode,
        parse_unit_url,
        signed_trace_url,
        signed_unit_url,
        verify_offline,
    )

_HOMES = {
    "NewApiKey": "apikeys",
    "Principal": "apikeys",
    "Role": "apikeys",
    "make_engine": "database",
    "upgrade_database": "database",
    "HistoryReport": "history",
    "AllocationInput": "inputs",
    "BatchInput": "inputs",
    "CertificateInput": "inputs",
    "ProductInput": "inputs",
    "RenewalInput": "inputs",
    "parse_input": "inputs",
    "Verification": "lookup",
    "VerificationStatus": "lookup",
    "verification_document": "lookup",
    "BatchRecord": "records",
    "CertificateRecord": "records",
    "HistoryEntry": "records",
    "ProducerRecord": "records",
    "ProductRecord": "records",
    "SerialAllocationRecord": "records",
    "new_serial": "serials",
    "Registry": "service",
    "RegistrySettings": "settings",
    "PUBLIC_KEYS_PATH": "signing",
    "Signer": "signing",
    "SigningKeyInfo": "signing",
    "UnitClaims": "signing",
    "keys_from_document": "signing",
    "OfflineResult": "verify",
    "UnitCode": "verify",
    "parse_unit_url": "verify",
    "signed_trace_url": "verify",
    "signed_unit_url": "verify",
    "verify_offline": "verify",
}

__all__ = [
    "PUBLIC_KEYS_PATH",
    "AllocationInput",
    "BatchInput",
    "BatchRecord",
    "CertificateInput",
    "CertificateRecord",
    "HistoryEntry",
    "HistoryReport",
    "NewApiKey",
    "OfflineResult",
    "Principal",
    "ProducerRecord",
    "ProductInput",
    "ProductRecord",
    "Registry",
    "RegistrySettings",
    "RenewalInput",
    "Role",
    "SerialAllocationRecord",
    "Signer",
    "SigningKeyInfo",
    "UnitClaims",
    "UnitCode",
    "Verification",
    "VerificationStatus",
    "keys_from_document",
    "make_engine",
    "new_serial",
    "parse_input",
    "parse_unit_url",
    "signed_trace_url",
    "signed_unit_url",
    "upgrade_database",
    "verification_document",
    "verify_offline",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'labelgen.registry' has no attribute {name!r}")
    return getattr(importlib.import_module(f"labelgen.registry.{home}"), name)
