"""The batches of a bulk copy: send up to 50 documents in one Xero call, record each one's
answer, and recover batches a previous run left without an answer (bridge.xero.bulk.jobs
explains the design; the calls and what follows an answer are the kind's)."""
import hashlib
from collections import defaultdict
from contextlib import contextmanager

from sqlalchemy import select

from bridge.extensions import db
from bridge.models import XeroCopy, utcnow
from bridge.xero.api.errors import (
    XeroAuthorisationLost, XeroError, XeroRateLimited, XeroValidationError, element_error, element_failed,
)
from bridge.xero.bulk.kinds import document_id
from bridge.xero.sending import activity
from bridge.xero.sending.attempt import RECOVERY_WINDOW, as_text, mark_done, stored_payload
from bridge.xero.sending.explain import refusal

# Xero certainly did not take the request: the batch is sent again later, unchanged.
NOT_RECEIVED = (XeroRateLimited, XeroAuthorisationLost)


def batch_key(item_keys: list[str]) -> str:
    """The Idempotency-Key of a batch: derived from its items' keys, in order."""
    return "bulk-" + hashlib.sha256("\n".join(item_keys).encode()).hexdigest()[:64]


class Batches:
    """Sending and recording the batches of one run (`run` is its bridge.xero.bulk.jobs._Run)."""

    def __init__(self, run):
        self.run = run
        self.kind = run.kind
        self.client = run.client

    # --- creates ---------------------------------------------------------------------

    def send_creates(self, row_ids: list[int]) -> None:
        """PUT the rows' documents in one call (summarizeErrors=false) and record each answer."""
        rows = self._rows(row_ids)
        documents, key = [stored_payload(row.payload) for row in rows], rows[0].batch_key
        self._mark_sent(row_ids)
        self._send(row_ids, lambda: self.kind.create(self.client, documents, key))

    # --- updates ---------------------------------------------------------------------

    def send_updates(self, row_ids: list[int]) -> None:
        """Read the copies' current state, then POST every update in one call."""
        rows = self._rows(row_ids)
        targets = {row.id: row.xero_id for row in rows}
        self._mark_sent(row_ids)
        with self._calling(row_ids):
            current = {str(c[self.kind.id_field]): c for c in self.kind.get(self.client, list(targets.values()))}
        rows = self._rows(row_ids)
        items = {item.document.id: item for item in self.kind.sort(
            [document_id(row, self.kind) for row in rows], self.run.tenant_id, self.run.ready, self.run.job_id)[0]}
        sendable, documents = [], []
        for row in rows:
            item, found = items.get(document_id(row, self.kind)), current.get(row.xero_id)
            if item is None or found is None:
                problem = (f"Xero no longer has the copied {self.kind.noun} (it may have been deleted there)."
                           if found is None else f"This {self.kind.noun} cannot be copied any more.")
                self._fail(row, [], problem, "not_found")
                continue
            payload = {self.kind.id_field: row.xero_id, **self.kind.update_payload(self.run, item, row, found)}
            row.payload = as_text(payload)
            sendable.append(row.id)
            documents.append(payload)
        db.session.commit()
        if not sendable:
            return
        # The same body under the same key: a repeat is answered from Xero's cache.
        key = f"{rows[0].batch_key[:60]}-{hashlib.sha256(as_text(documents).encode()).hexdigest()[:40]}"
        self._send(sendable, lambda: self.kind.save(self.client, documents, key))

    def _send(self, row_ids: list[int], call) -> None:
        """Make one batch call for the rows and record each answer.

        Refused as a whole: every row failed. Not received (429, access lost): the rows go
        back to "not sent" and the run stops. Anything else: the answer is unknown, the run
        stops, and the next run looks in Xero before sending again.
        """
        try:
            with self._calling(row_ids):
                elements = call()
        except XeroValidationError as error:
            if error.status != 200:  # the whole request was refused: nothing was saved
                return self._refuse_all(row_ids, error)
            elements = error.in_order(len(row_ids))
        self._record(row_ids, elements)

    @contextmanager
    def _calling(self, row_ids: list[int]):
        """Around a Xero call for the rows: Xero's refusal passes through; not received (429,
        access lost) puts the rows back to "not sent"; anything else leaves them unknown."""
        try:
            yield
        except XeroValidationError:
            raise
        except NOT_RECEIVED:
            self._not_sent(row_ids)
            raise
        except Exception:
            self._unknown(row_ids)
            raise

    # --- recovery --------------------------------------------------------------------

    def recover(self) -> None:
        """Finish the batches a previous run left pending or unknown, without sending twice."""
        rows = list(db.session.scalars(select(XeroCopy).where(
            XeroCopy.job_id == self.run.job_id, XeroCopy.state.in_(("pending", "unknown")))
            .order_by(XeroCopy.id)))
        groups = defaultdict(list)
        for row in rows:
            groups[(row.action, row.batch_key)].append(row)
        db.session.commit()
        for (action, _key), group in groups.items():
            ids = [row.id for row in group]
            if action == "update":
                self.send_updates(ids)  # an update sent twice changes nothing twice
                continue
            maybe_sent = [row for row in group if row.state == "unknown" or row.attempted_at is not None]
            found = self._look_up(maybe_sent) if maybe_sent else {}
            if found:
                self._record(list(found), list(found.values()), operation="recover")
            left = [row_id for row_id in ids if row_id not in found]
            if left:
                self._rekey(left)
                self.send_creates(left)

    def _look_up(self, rows: list[XeroCopy]) -> dict[int, dict]:
        """{row id: Xero's document} for the rows' documents Xero has (the kind's match_key:
        an invoice's Url, a credit note's Reference)."""
        keys = {self.kind.match_key(stored_payload(row.payload)): row.id for row in rows}
        keys.pop(None, None)
        since = min(row.attempted_at or row.created_at for row in rows) - RECOVERY_WINDOW
        db.session.commit()
        found = {}
        for document in self.kind.candidates(self.client, since):
            row_id = keys.get(self.kind.match_key(document))
            if row_id is not None and row_id not in found:
                found[row_id] = document
        return found

    def _rekey(self, row_ids: list[int]) -> None:
        """The batch key of what is left to send: the same rows keep the same key."""
        rows = self._rows(row_ids)
        key = batch_key([row.attempt_key for row in rows])
        for row in rows:
            row.batch_key = key
        db.session.commit()

    # --- recording -------------------------------------------------------------------

    def _rows(self, row_ids: list[int]) -> list[XeroCopy]:
        rows = {row.id: row for row in db.session.scalars(select(XeroCopy).where(XeroCopy.id.in_(row_ids)))}
        return [rows[i] for i in row_ids]

    def _mark_sent(self, row_ids: list[int]) -> None:
        """From here on Xero may have the rows' documents; commit before calling Xero."""
        for row in self._rows(row_ids):
            row.state, row.attempted_at = "pending", utcnow()
        db.session.commit()

    def _not_sent(self, row_ids: list[int]) -> None:
        db.session.rollback()
        for row in self._rows(row_ids):
            row.attempted_at = None
        db.session.commit()

    def _unknown(self, row_ids: list[int]) -> None:
        db.session.rollback()
        for row in self._rows(row_ids):
            row.state, row.error_kind = "unknown", "unavailable"
            row.error = "Xero did not answer; Bridge looks in Xero before sending again."
        db.session.commit()

    def _number(self, row: XeroCopy) -> str | None:
        return (stored_payload(row.payload) or {}).get(self.kind.number_field)

    def _refuse_all(self, row_ids: list[int], error: XeroError) -> None:
        for row in self._rows(row_ids):
            problem = refusal(error, action=row.action, number=self._number(row), document=self.kind.noun)
            self._fail(row, list(getattr(error, "messages", []) or []), problem.message, problem.kind)
        db.session.commit()

    def _record(self, row_ids: list[int], elements: list[dict], operation: str | None = None) -> None:
        """Each row's answer from Xero: done with its number and status, or failed with Xero's messages."""
        for row, element in zip(self._rows(row_ids), elements):
            if element_failed(element):
                messages = list(element_error(0, element).messages) or [f"Xero refused this {self.kind.noun}."]
                problem = refusal(XeroValidationError(messages), action=row.action, number=self._number(row),
                                  document=self.kind.noun)
                self._fail(row, messages, problem.message, problem.kind, element)
                continue
            mark_done(row, element)
            self.kind.finish(self.run, row, element, operation)
        db.session.commit()

    def _fail(self, row: XeroCopy, messages: list[str], message: str, kind: str, element=None) -> None:
        row.state, row.completed_at = "failed", utcnow()
        row.error, row.error_kind, row.messages = message, kind, messages or None
        activity.record("copy" if row.action == "create" else "update", "error",
                        f"Bulk copy: {'; '.join(messages) or message}", tenant_id=row.tenant_id,
                        user_id=row.created_by_id, request=row.payload, response=messages or message,
                        **self.kind.activity_ids(row))
