"""Batched writes and summarizeErrors (notes §3.4).

Each element is handled (and committed) on its own. With summarizeErrors true (Xero's
behaviour when the flag is absent) any failure turns the answer into a 400
ValidationException listing the failed elements, even though the valid ones were saved;
with summarizeErrors=false the answer is 200 and every element says OK, WARNING or ERROR.
"""
from dataclasses import dataclass, field
from typing import Callable

from flask import Response, request

from bridge.xero_sandbox import wire
from bridge.xero_sandbox.accounting import body_json
from bridge.xero_sandbox.db import db


@dataclass
class Result:
    """One element's answer: its JSON and its messages."""

    body: dict
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def summarize() -> bool:
    """Whether errors are summarised into a 400 (the default)."""
    return request.args.get("summarizeErrors", "true").strip().lower() != "false"


def items(collection: str, allow_bare: bool = False) -> list[dict]:
    """The elements of a {"<Collection>": [...]} body (or a bare object where allowed)."""
    data = body_json()
    if collection in data:
        elements = data[collection]
        if not isinstance(elements, list) or not all(isinstance(e, dict) for e in elements):
            raise wire.BadValue(f"{collection} must be an array of objects")
        return elements
    if allow_bare:
        return [data]
    raise wire.BadValue(f"The request body must contain {collection}")


def failed(body: dict, errors: list[str], flag: str = "HasErrors") -> Result:
    """A failed element: the echo with its messages; the element's changes are undone."""
    db.session.rollback()
    body[flag] = True
    body["ValidationErrors"] = [{"Message": m} for m in errors]
    return Result(body, errors)


def respond(collection: str, results: list[Result]) -> Response:
    """The 200 envelope, or the 400 ValidationException when summarising errors."""
    if summarize():
        bad = [r.body for r in results if r.errors]
        if bad:
            for body in bad:
                body.pop("StatusAttributeString", None)
            return wire.json_response(wire.validation_exception(bad), 400)
    for result in results:
        if result.errors:
            status = "ERROR"
        elif result.warnings:
            status = "WARNING"
            result.body["Warnings"] = [{"Message": m} for m in result.warnings]
        else:
            status = "OK"
        result.body["StatusAttributeString"] = status
    return wire.ok(collection, [r.body for r in results])


def run(collection: str, handle: Callable[[dict], Result], allow_bare: bool = False) -> Response:
    """Handle every element of the body and answer for the batch."""
    return respond(collection, [handle(element) for element in items(collection, allow_bare)])
