"""The test-control API under /_sandbox/ (not part of Xero).

Registered only when SANDBOX_CONTROL_ENABLED is true: it moves time, breaks requests on
purpose, resets data and records payments "as if in the Xero UI".
"""
from decimal import Decimal

from flask import Blueprint, Response, jsonify, request

from bridge.xero_sandbox import clock, faults, recorder, seed, webhooks, wire
from bridge.xero_sandbox.accounting import payments
from bridge.xero_sandbox.accounting.invoices import find
from bridge.xero_sandbox.accounting.serialize import payment_json
from bridge.xero_sandbox.db import Account, Contact, Organisation, Payment, db

bp = Blueprint("control", __name__, url_prefix="/_sandbox")
# "late": served as usual, then answered too late (Xero did the work; its answer is lost).
FAULT_KINDS = {"429", "500", "503", "timeout", "late"}


def _error(message: str, status: int = 400) -> tuple[Response, int]:
    """A JSON error for the control API."""
    return jsonify({"error": message}), status


def _body() -> dict:
    """The JSON object sent, or an empty one."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _number(value) -> bool:
    """Whether a JSON value is a number >= 0 (true and false are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _org(tenant_id: str) -> Organisation | None:
    """An organisation by tenant id."""
    return db.session.get(Organisation, tenant_id.lower())


@bp.get("/")
def overview():
    """Organisations, clock and pending faults at a glance."""
    organisations = db.session.scalars(db.select(Organisation).order_by(Organisation.name))
    return jsonify({
        "organisations": [{"tenantId": o.id, "name": o.name, "baseCurrency": o.base_currency,
                           "currencies": o.currency_list} for o in organisations],
        "clock": {"now": clock.now().isoformat(), "offsetSeconds": clock.offset()},
        "faults": faults.list_faults(),
    })


@bp.get("/clock")
def get_clock():
    """The sandbox time."""
    return jsonify({"now": clock.now().isoformat(), "offsetSeconds": clock.offset()})


@bp.post("/clock/advance")
def advance_clock():
    """Move the sandbox clock forward by {"seconds": N}."""
    seconds = _body().get("seconds")
    if not _number(seconds):
        return _error("seconds must be a number >= 0")
    clock.advance(seconds)
    return jsonify({"now": clock.now().isoformat(), "offsetSeconds": clock.offset()})


@bp.post("/faults")
def add_fault():
    """Make the next N calls fail: {"kind": "429"|"500"|"503"|"timeout", "count": N, ...}."""
    body = _body()
    kind = str(body.get("kind", ""))
    count = body.get("count", 1)
    if kind not in FAULT_KINDS or not isinstance(count, int) or count < 1:
        return _error("kind must be 429, 500, 503, timeout or late and count a positive integer")
    if body.get("then", "504") not in ("504", "hang"):
        return _error("then must be 504 or hang")
    seconds, retry_after = body.get("seconds", 0), body.get("retry_after", 60)
    if not _number(seconds) or not _number(retry_after) or int(retry_after) != retry_after:
        return _error("seconds must be a number >= 0 and retry_after a whole number >= 0")
    faults.add_fault(faults.Fault(
        kind=kind, count=count, method=body.get("method"), path_prefix=body.get("path_prefix"),
        seconds=float(seconds), then=body.get("then", "504"), retry_after=int(retry_after),
        problem=str(body.get("problem", "minute")),
    ))
    return jsonify({"faults": faults.list_faults()}), 201


@bp.get("/faults")
def list_faults():
    """Pending fault rules, and the random fault setting with its counts."""
    return jsonify({"faults": faults.list_faults(), "random": faults.random_setting()})


@bp.put("/faults/random")
def set_random_faults():
    """A share of calls fail at random: {"rate": 0.1, "kinds": [...], "path_prefix", "seconds", "retry_after"}."""
    body = _body()
    rate, kinds = body.get("rate"), body.get("kinds", ["429", "500", "timeout"])
    if not _number(rate) or rate > 1:
        return _error("rate must be a number from 0 to 1")
    if not isinstance(kinds, list) or not kinds or not set(kinds) <= FAULT_KINDS:
        return _error("kinds must be a non-empty list of 429, 500, 503, timeout and late")
    seconds, retry_after = body.get("seconds", 0), body.get("retry_after", 1)
    if not _number(seconds) or not _number(retry_after) or int(retry_after) != retry_after:
        return _error("seconds must be a number >= 0 and retry_after a whole number >= 0")
    faults.set_random(faults.RandomFaults(
        rate=float(rate), kinds=tuple(str(k) for k in kinds), path_prefix=body.get("path_prefix"),
        seconds=float(seconds), retry_after=int(retry_after)) if rate else None)
    return jsonify({"random": faults.random_setting()})


@bp.delete("/faults")
def clear_faults():
    """Drop pending faults and release hanging requests."""
    faults.clear_faults()
    return Response(status=204)


@bp.post("/limits/reset")
def reset_limits():
    """Forget counted calls (optionally {"tenant_id": ...} only)."""
    faults.reset_limits(_body().get("tenant_id"))
    return Response(status=204)


@bp.get("/requests")
def list_requests():
    """Recorded requests; filter with ?path_prefix= and ?missing_accept=true."""
    prefix = request.args.get("path_prefix", "")
    missing = request.args.get("missing_accept") == "true"
    entries = [e for e in recorder.entries()
               if e["path"].startswith(prefix) and (not missing or e["missing_accept"])]
    return jsonify({"requests": entries})


@bp.delete("/requests")
def clear_requests():
    """Forget recorded requests."""
    recorder.clear()
    return Response(status=204)


@bp.post("/organisations/<tenant_id>/reset")
def reset_organisation(tenant_id):
    """Put an organisation back to its seed data (its tenant ID and connections stay)."""
    org = _org(tenant_id)
    if org is None:
        return _error("unknown organisation", 404)
    seed.reset(org)
    faults.reset_limits(org.id)
    return jsonify({"tenantId": org.id, "name": org.name})


@bp.post("/organisations/<tenant_id>/payments")
def record_payment(tenant_id):
    """Record a payment as a person would in Xero: {"invoice", "amount", "date", "reference", "account_code"}."""
    org, body = _org(tenant_id), _body()
    if org is None:
        return _error("unknown organisation", 404)
    invoice = find(org.id, str(body.get("invoice") or ""))
    try:
        amount = wire.to_decimal(body.get("amount", invoice.amount_due if invoice else 0), "amount")
        day = wire.parse_day(body["date"]) if body.get("date") else clock.now().date()
    except wire.BadValue as exc:
        return _error(str(exc))
    account, problem = payments.payment_account(org.id, {"Code": body.get("account_code", "090")})
    errors = payments.payment_problems(invoice, amount) + ([problem] if problem else [])
    if errors:
        return _error("; ".join(errors))
    payment = payments.record_payment(org, invoice, account, Decimal(amount), day,
                                      str(body.get("reference") or ""), source="control")
    return wire.json_response(payment_json(payment), 201)


@bp.delete("/organisations/<tenant_id>/payments/<payment_id>")
def delete_payment(tenant_id, payment_id):
    """Remove a payment as a person would in Xero ("Remove & Redo")."""
    payment = db.session.get(Payment, payment_id.lower())
    if payment is None or payment.org_id != tenant_id.lower():
        return _error("unknown payment", 404)
    errors = payments.delete_payment(payment)
    if errors:
        return _error("; ".join(errors))
    return wire.json_response(payment_json(payment))


@bp.post("/organisations/<tenant_id>/contacts/<contact_id>/archive")
def archive_contact(tenant_id, contact_id):
    """Archive a contact, as a person would in Xero."""
    contact = db.session.get(Contact, contact_id.lower())
    if contact is None or contact.org_id != tenant_id.lower():
        return _error("unknown contact", 404)
    contact.status, contact.updated_utc = "ARCHIVED", clock.now()
    db.session.commit()
    return jsonify({"contactId": contact.id, "status": contact.status})


@bp.post("/organisations/<tenant_id>/accounts/<code>/archive")
def archive_account(tenant_id, code):
    """Archive an account by code, as a person would in Xero."""
    account = db.session.scalar(db.select(Account).filter_by(org_id=tenant_id.lower(), code=code))
    if account is None:
        return _error("unknown account", 404)
    account.status, account.updated_utc = "ARCHIVED", clock.now()
    db.session.commit()
    return jsonify({"accountId": account.id, "status": account.status})



@bp.get("/webhooks")
def webhook_settings():
    """The webhook target (never the key) and the deliveries made, newest last."""
    hooks = webhooks.hooks()
    return jsonify({"url": hooks.url, "keySet": bool(hooks.key), "deliveries": list(hooks.deliveries)})


@bp.put("/webhooks")
def set_webhooks():
    """Send webhooks to {"url"} signed with {"key"} (an empty url stops them)."""
    body = _body()
    url, key = str(body.get("url") or "").strip(), str(body.get("key") or "")
    if url and (not url.startswith(("http://", "https://")) or not key):
        return _error("url must be http(s) and key must be set")
    hooks = webhooks.hooks()
    hooks.url, hooks.key = url, key
    hooks.deliveries.clear()
    return jsonify({"url": hooks.url, "keySet": bool(hooks.key)})


@bp.post("/webhooks/intent-to-receive")
def intent_to_receive():
    """Xero's "intent to receive" check against the webhook URL: good and bad signatures."""
    hooks = webhooks.hooks()
    if not hooks.url:
        return _error("no webhook url: PUT /_sandbox/webhooks first")
    return jsonify(webhooks.intent_to_receive(hooks.url, hooks.key))
