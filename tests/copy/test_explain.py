"""Xero's refusals in plain words (bridge.xero.sending.explain): the kind, our sentence, each of
Xero's messages verbatim with what to check."""
import pytest

from bridge.xero.api.errors import (
    XeroAuthorisationLost, XeroError, XeroNotFound, XeroRateLimited, XeroUnavailable, XeroValidationError,
)
from bridge.xero.sending.explain import XERO_SETTINGS, hint, refusal


@pytest.mark.parametrize("message, expected", [
    ("Account code '9999' is not a valid code for this document.", f"Check the revenue account mapping in {XERO_SETTINGS}"),
    ("Account code or ID must be specified", "revenue account mapping"),
    ("Account must be valid.", "revenue account mapping"),
    ("The TaxType code OUTPUT9 does not exist or cannot be used for this type of transaction.", "Check the tax rate chosen here"),
    ("The TaxType code 'OUTPUT2' cannot be used with account code '200'.", "Check the tax rate chosen here"),
    ("Tax rate must be valid.", "Check the tax rate chosen here"),
    ("Invoice # must be unique.", "Xero already has an invoice with this number"),
    ("Organisation is not subscribed to currency EUR", "does not use the invoice's currency"),
    ("The contact with the specified contact details has been archived. The contact must be un-archived "
     "before creating new invoices or credit notes.", "Check the Xero contact chosen here"),
    ("The contact name Acme is already assigned to another contact. The contact name must be unique "
     "across all active contacts.", "A Xero contact with this name exists already"),
    ("The document date cannot be before the period lock date, currently set at 31 Jan 2026",
     "before Xero's lock date"),
    ("Idempotency Key: abc is used with a different request.", "close it and open Copy to Xero again"),
])
def test_each_known_message_says_what_to_check(message, expected):
    assert expected in hint(message)


@pytest.mark.parametrize("message, expected", [
    ("Account code '9999' is not a valid code for this document.", "the default expense account"),
    ("The TaxType code 'OUTPUT2' cannot be used with account code '310'.", "Check the tax rate on bills"),
    ("Organisation is not subscribed to currency JPY", "does not use the expense's currency"),
    ("The document date cannot be before the period lock date, currently set at 31 Jan 2026",
     "change the expense's date"),
    ("Invoice not of valid status for modification", "The bill was paid"),
])
def test_a_bill_is_explained_in_terms_of_expenses(message, expected):
    assert expected in hint(message, "bill")
    assert "invoice" not in hint(message, "bill").lower()


def test_a_locked_bill_is_called_a_bill():
    found = refusal(XeroValidationError(["Invoice not of valid status for modification"]),
                    action="update", document="bill")
    assert found.kind == "locked" and "change this bill any more" in found.message
    assert found.message.endswith("Create a new bill instead.")


def test_a_bill_gone_from_xero_or_sent_with_a_stale_key_says_what_to_do_on_the_expense_page():
    gone = refusal(XeroNotFound("none"), action="update", document="bill")
    assert gone.message == ("Xero no longer has the copied bill (it may have been deleted there). "
                            "Create a new bill instead.")
    assert hint("Idempotency Key: abc is used with a different request.", "bill") == (
        "This page is out of date: reload it and send again.")


def test_an_unknown_message_is_kept_without_a_hint():
    assert hint("Something new from Xero") is None
    found = refusal(XeroValidationError(["Something new from Xero"]), action="create")
    assert found.kind == "validation" and found.details[0].message == "Something new from Xero"
    assert found.details[0].hint is None


def test_locked_only_for_an_update():
    locked = XeroValidationError(["This document cannot be edited as it has a payment or credit note allocated to it."])
    assert refusal(locked, action="update").kind == "locked"
    assert refusal(XeroValidationError(["Invoice not of valid status for modification"]), action="update").kind == "locked"
    assert refusal(locked, action="create").kind == "validation"


def test_duplicate_number_names_the_number():
    found = refusal(XeroValidationError(["Invoice # must be unique."]), action="create", number="2026-0007")
    assert found.kind == "duplicate_number"
    assert found.message.startswith("Xero already has an invoice numbered 2026-0007")


def test_other_errors():
    assert refusal(XeroRateLimited("x", retry_after=90.2, problem="minute"), action="create").message.endswith(
        "Try again in 91 seconds.")
    assert "about 3 hours" in refusal(XeroRateLimited("x", retry_after=9000, problem="day"), action="create").message
    assert refusal(XeroAuthorisationLost("gone"), action="create").kind == "reconnect"
    assert refusal(XeroNotFound("none"), action="update").message.startswith("Xero no longer has the copied invoice")
    assert refusal(XeroUnavailable("Xero is down."), action="create").kind == "unavailable"
    assert refusal(XeroError("HTTP 418"), action="create").kind == "error"
