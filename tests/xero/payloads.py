"""Xero-shaped bodies for the client's tests, after the spec's examples and the notes."""
import base64
import json
from datetime import date
from decimal import Decimal

TENANT_ID = "fe79f7dd-b6d4-4a92-ba7b-538af6289c58"
CONNECTION_ID = "7cb59f93-2964-421d-bb5e-a0f7a4572a44"
AUTH_EVENT_ID = "d99ecdfe-391d-43d2-b834-17636ba90e8d"
XERO_USER_ID = "9a4a2b1e-62f5-4f2b-9b77-3f1d2a6c0e11"
INVOICE_ID = "ed255415-e141-4150-aab7-89c3bbbb851c"
CONTACT_ID = "430fa14a-f945-44d3-9f97-5df5e28441b8"

REAL_XERO = {
    "XERO_CLIENT_ID": "test-client-id",
    "XERO_CLIENT_SECRET": "test-client-secret",
    "XERO_AUTHORIZE_URL": "https://login.xero.com/identity/connect/authorize",
    "XERO_TOKEN_URL": "https://identity.xero.com/connect/token",
    "XERO_REVOCATION_URL": "https://identity.xero.com/connect/revocation",
    "XERO_CONNECTIONS_URL": "https://api.xero.com/connections",
    "XERO_API_URL": "https://api.xero.com/api.xro/2.0",
}
API = REAL_XERO["XERO_API_URL"]
TOKEN_URL = REAL_XERO["XERO_TOKEN_URL"]


def fake_jwt(claims: dict) -> str:
    """A JWT-shaped token (unsigned) carrying claims, as Xero's tokens are JWTs."""
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def token_response(n: int, *, id_token: bool = False, expires_in: int = 1800) -> dict:
    """The token endpoint's answer for the n-th token set."""
    body = {
        "access_token": fake_jwt({"xero_userid": XERO_USER_ID, "authentication_event_id":
                                  AUTH_EVENT_ID, "n": n}),
        "expires_in": expires_in,
        "token_type": "Bearer",
        "refresh_token": f"refresh-token-{n}-d1a8e5c0b2",
        "scope": "openid profile email offline_access accounting.settings.read "
                 "accounting.contacts accounting.transactions",
    }
    if id_token:
        body["id_token"] = fake_jwt({"xero_userid": XERO_USER_ID, "email": "ada@example.com"})
    return body


def envelope(key: str, items: list, *, page: int | None = None, page_size: int = 100,
             item_count: int | None = None) -> dict:
    body = {
        "Id": "900c500b-e83c-4ce2-902a-b8ba04751748",
        "Status": "OK",
        "ProviderName": "Bridge",
        "DateTimeUTC": "/Date(1552326816230)/",
        key: items,
    }
    if page is not None:
        count = len(items) if item_count is None else item_count
        body["pagination"] = {"page": page, "pageSize": page_size,
                              "pageCount": max(1, -(-count // page_size)), "itemCount": count}
    return body


def organisation() -> dict:
    return envelope("Organisations", [{
        "Name": "Demo Company (NZ)", "LegalName": "Demo Company (NZ)", "PaysTax": True,
        "Version": "NZ", "OrganisationType": "COMPANY", "BaseCurrency": "NZD",
        "CountryCode": "NZ", "IsDemoCompany": True, "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31, "FinancialYearEndMonth": 3,
        "PeriodLockDate": "/Date(1546214400000+0000)/",
        "CreatedDateUTC": "/Date(1455827393000)/", "Timezone": "NEWZEALANDSTANDARDTIME",
        "OrganisationID": "b2c885a9-4bb9-4a00-9b6e-6c2bf60b1a2b", "ShortCode": "!mBdtL",
    }])


def invoice(invoice_id: str = INVOICE_ID, number: str = "INV-0007", **extra) -> dict:
    body = {
        "Type": "ACCREC", "InvoiceID": invoice_id, "InvoiceNumber": number,
        "Reference": "Website Design", "Payments": [], "CreditNotes": [], "Prepayments": [],
        "Overpayments": [], "AmountDue": 1725.00, "AmountPaid": 0.00,
        "AmountCredited": 0.00, "SentToContact": False, "CurrencyRate": 1.000000,
        "HasErrors": False, "IsDiscounted": False,
        "Contact": {"ContactID": CONTACT_ID, "Name": "Liam Gallagher"},
        "DateString": "2026-03-01T00:00:00", "Date": "/Date(1772323200000+0000)/",
        "DueDateString": "2026-03-31T00:00:00", "DueDate": "/Date(1774915200000+0000)/",
        "Status": "AUTHORISED", "LineAmountTypes": "Exclusive",
        "LineItems": [{
            "Description": "Campaign design", "UnitAmount": 1500.00, "TaxType": "OUTPUT2",
            "TaxAmount": 225.00, "LineAmount": 1500.00, "AccountCode": "200",
            "Tracking": [], "Quantity": 1.0000,
            "LineItemID": "5f7a612b-fdcc-4d33-90fa-a9f6bc6db32f", "ValidationErrors": [],
        }],
        "SubTotal": 1500.00, "TotalTax": 225.00, "Total": 1725.00,
        "UpdatedDateUTC": "/Date(1772380800000+0000)/", "CurrencyCode": "NZD",
    }
    body.update(extra)
    return body


def validation_exception() -> dict:
    """XERO_API_NOTES.md §6.3: PUT /Invoices with an unknown account and tax type."""
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [{
            "Type": "ACCREC",
            "InvoiceID": "6c1d7b0e-2f0c-4a53-9f3e-6a9a1d0c7e21",
            "InvoiceNumber": "AG-1042",
            "Reference": "Project 77 / March",
            "Status": "AUTHORISED",
            "LineAmountTypes": "Exclusive",
            "Contact": {"ContactID": "0f6c5a9e-3b0f-4f9e-9d0a-2c7d8e1f4b35",
                        "Name": "Northwind Studio"},
            "DateString": "2026-01-01T00:00:00",
            "Date": "/Date(1767225600000+0000)/",
            "LineItems": [{"Description": "Design retainer", "Quantity": 1.0000,
                           "UnitAmount": 1500.00, "AccountCode": "9999", "TaxType": "OUTPUT9",
                           "LineAmount": 1500.00, "ValidationErrors": []}],
            "SubTotal": 1500.00, "TotalTax": 0.00, "Total": 1500.00,
            "HasErrors": True,
            "ValidationErrors": [
                {"Message": "Account code '9999' is not a valid code for this document."},
                {"Message": "The TaxType code OUTPUT9 does not exist or cannot be used for "
                            "this type of transaction."},
            ],
        }],
    }


def problem(status: int, detail: str) -> dict:
    """XERO_API_NOTES.md §6.2: the problem-details bodies of 401 and 403."""
    titles = {401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests", 502: "Bad Gateway"}
    return {"Type": None, "Title": titles[status], "Status": status, "Detail": detail,
            "Instance": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d", "Extensions": {}}


def connections() -> list:
    return [{
        "id": CONNECTION_ID, "authEventId": AUTH_EVENT_ID, "tenantId": TENANT_ID,
        "tenantType": "ORGANISATION", "tenantName": "Demo Company (NZ)",
        "createdDateUtc": "2019-12-07T18:46:19.5165400",
        "updatedDateUtc": "2019-12-07T18:46:19.5187840",
    }]


def new_invoice(**extra) -> dict:
    """What Bridge sends to create a sales invoice (XERO_API_NOTES.md §10.5)."""
    body = {
        "Type": "ACCREC", "Contact": {"ContactID": CONTACT_ID},
        "Date": date(2026, 3, 1), "DueDate": date(2026, 3, 31),
        "LineAmountTypes": "Exclusive", "Reference": "PO 5521", "Status": "AUTHORISED",
        "LineItems": [{"Description": "Campaign design", "Quantity": Decimal("1"),
                       "UnitAmount": Decimal("1500.00"), "AccountCode": "200",
                       "TaxType": "OUTPUT2"}],
    }
    body.update(extra)
    return body
