"""All models, importable from one place (and registered with the metadata for Alembic)."""
from bridge.models.auth import ROLES, User
from bridge.models.integration import (
    INITIAL_STATUSES,
    INVOICE_NUMBERS_BY,
    PDFS_BY,
    REFERENCE_SOURCES,
    XERO_SETTINGS_DEFAULTS,
    ServiceTypeAccount,
    TaxRateMapping,
    XeroAccount,
    XeroCurrency,
    XeroPendingConsent,
    XeroSettings,
    XeroTaxRate,
)
from bridge.models.copies import (
    COPY_ACTIONS,
    COPY_STATES,
    ENDED_STATUSES,
    SENDING_ACTIONS,
    JOB_KINDS,
    JOB_STATES,
    XeroActivity,
    XeroCopy,
    XeroCopyJob,
    XeroDocument,
)
from bridge.models.entities import BillingEntity
from bridge.models.credit_notes import ALLOCATION_STATES, CREDIT_KINDS, CreditNote, CreditNoteLine
from bridge.models.files import UPLOAD_STATES, DocumentFile, XeroAttachment
from bridge.models.invoicing import (
    INVOICE_STATUSES,
    PAYMENT_SOURCES,
    PAYMENT_STATUSES,
    Budget,
    Expense,
    Invoice,
    InvoiceLine,
    Payment,
)
from bridge.models.sync import Lease, XeroSyncState
from bridge.models.tracking import (
    TRACKING_SOURCES,
    TrackingMapping,
    TrackingOptionMapping,
    XeroBrandingTheme,
    XeroTrackingCategory,
    XeroTrackingOption,
)
from bridge.models.types import ZERO, UTCDateTime, utcnow
from bridge.models.workspace import (
    CUSTOM_FIELD_TYPES,
    Company,
    CustomField,
    CustomFieldValue,
    NumberSequence,
    ServiceType,
    TaxRate,
    WorkspaceSettings,
)
from bridge.models.xero import XERO_CONNECTION_STATUSES, XeroConnection

__all__ = [
    "COPY_ACTIONS", "COPY_STATES", "ENDED_STATUSES", "SENDING_ACTIONS", "JOB_KINDS", "JOB_STATES", "XeroActivity", "XeroCopy",
    "XeroCopyJob", "XeroDocument",
    "ROLES", "User", "INVOICE_STATUSES", "PAYMENT_SOURCES", "PAYMENT_STATUSES", "Budget",
    "Expense", "Invoice", "InvoiceLine", "Payment", "ZERO", "UTCDateTime", "utcnow",
    "CUSTOM_FIELD_TYPES", "Company", "CustomField", "CustomFieldValue", "NumberSequence",
    "BillingEntity", "ServiceType", "TaxRate", "WorkspaceSettings",
    "XERO_CONNECTION_STATUSES", "XeroConnection",
    "INITIAL_STATUSES", "INVOICE_NUMBERS_BY", "PDFS_BY", "REFERENCE_SOURCES",
    "XERO_SETTINGS_DEFAULTS", "ServiceTypeAccount", "TaxRateMapping", "XeroAccount", "XeroCurrency",
    "XeroPendingConsent", "XeroSettings", "XeroTaxRate",
    "Lease", "XeroSyncState", "ALLOCATION_STATES", "CREDIT_KINDS", "CreditNote", "CreditNoteLine",
    "TRACKING_SOURCES", "TrackingMapping", "TrackingOptionMapping", "XeroBrandingTheme",
    "XeroTrackingCategory", "XeroTrackingOption",
    "UPLOAD_STATES", "DocumentFile", "XeroAttachment",
]
