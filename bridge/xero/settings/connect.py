"""Connecting Xero organisations to billing entities and disconnecting them: the rules behind
the marketplace views. Every billing entity has at most one organisation, and an organisation
serves one entity only.

    url, state = start(redirect_uri)                       # keep state (and the entity) in the session
    outcome = finish(args, state, redirect_uri, user_id, entity_id)   # Connected or NeedsChoice
    problems = assignment_problems(organisations, {tenant_id: entity_id or None})
    outcomes = assign(pending_id, {tenant_id: entity_id or None}, user_id)   # several granted
    result = disconnect(entity_id)

Failures are ConnectError, whose message people read; nothing is stored when one is raised
(the XeroClient's own bookkeeping aside). Tokens are handled as TokenSet objects and stored
encrypted only: never in the session, the logs or a page. Organisations granted by one consent
share one token set (the same auth_event_id): disconnecting one entity revokes the refresh
token only when no other stored connection uses it.
"""
import logging
from dataclasses import dataclass, field
from typing import Mapping

from sqlalchemy import delete, select

from bridge.extensions import db
from bridge.xero.settings import consent, setup
from bridge.xero.settings.consent import NOTHING_STORED, PENDING_GONE, PendingGone  # noqa: F401  (re-exported)
from bridge.models import BillingEntity, XeroConnection
from bridge.xero.api.client import XeroClient, XeroTenant, states_match
from bridge.xero.api.errors import XeroAuthorisationLost, XeroError
from bridge.xero.api.tokens import TokenSet

logger = logging.getLogger(__name__)

BAD_STATE = ("Bridge could not verify this answer from Xero (it was used already, is too old, "
             "or did not start here). " + NOTHING_STORED + " Please connect again.")
DENIED = "You declined the connection in Xero. " + NOTHING_STORED
NO_ORGANISATION = ("Xero granted access to no organisation. " + NOTHING_STORED +
                   " Connect again and tick the organisation this entity uses.")
NONE_ASSIGNED = "Choose an entity for at least one organisation, or connect none of them."


class ConnectError(Exception):
    """Connecting or disconnecting failed; `message` says why, for people."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Connected:
    """The entity is now connected to this organisation."""

    tenant_id: str
    tenant_name: str
    # Settings made for another organisation went back to the defaults.
    settings_reset: bool
    # The wizard was already saved for this organisation (a reconnect).
    configured: bool
    notes: list[str] = field(default_factory=list)
    entity_id: int | None = None
    entity_name: str = ""


@dataclass(frozen=True)
class NeedsChoice:
    """Consent granted several organisations: the admin assigns them (pending_id)."""

    pending_id: str


@dataclass(frozen=True)
class Disconnected:
    tenant_name: str
    notes: list[str] = field(default_factory=list)
    entity_name: str = ""


def start(redirect_uri: str) -> tuple[str, str]:
    """Xero's consent URL and the random state to keep in the session."""
    with XeroClient() as client:
        return client.authorization_url(redirect_uri)


def finish(args: Mapping, expected_state: str | None, redirect_uri: str,
           user_id: int | None, entity_id: int | None = None) -> "Connected | NeedsChoice":
    """Handle Xero's answer on the callback: check the state, trade the code for tokens, then
    connect the one organisation granted to the entity, or keep the consent for assigning."""
    if not states_match(expected_state, args.get("state")):
        raise ConnectError(BAD_STATE)
    error = args.get("error")
    if error == "access_denied":
        raise ConnectError(DENIED)
    if error:
        raise ConnectError(f"Xero did not connect Bridge ({error}). {NOTHING_STORED}")
    if not args.get("code"):
        raise ConnectError(f"Xero's answer had no authorization code. {NOTHING_STORED}")
    with XeroClient() as client:
        try:
            tokens = client.exchange_code(args["code"], redirect_uri)
            tenants = client.list_connections(tokens, auth_event_id=tokens.auth_event_id)
        except XeroError as failure:
            raise ConnectError(f"{failure} {NOTHING_STORED}") from failure
        except ValueError as failure:  # no refresh token: offline_access was not granted
            logger.warning("xero: no refresh token issued; is offline_access among XERO_SCOPES?")
            raise ConnectError(f"{failure}. {NOTHING_STORED}") from failure
    organisations = [t for t in tenants if t.tenant_type.upper() in ("ORGANISATION", "")]
    if not organisations:
        raise ConnectError(NO_ORGANISATION)
    if len(organisations) == 1:
        entity = _entity(entity_id)
        problem = assignment_problems(organisations, {organisations[0].tenant_id: entity.id})
        if problem:
            raise ConnectError(f"{next(iter(problem.values()))} {NOTHING_STORED}")
        return connect(tokens, organisations[0], user_id, entity.id)
    return NeedsChoice(consent.keep(tokens, organisations, user_id))


def pending_organisations(pending_id: str, user_id: int | None) -> list[XeroTenant]:
    """The organisations a pending consent offers to this admin."""
    try:
        return consent.organisations(pending_id, user_id)
    except PendingGone as gone:
        raise ConnectError(gone.message) from gone


def serving() -> dict[str, XeroConnection]:
    """The stored connections by organisation (tenant id)."""
    return {row.tenant_id: row for row in setup.connections()}


def assignment_problems(organisations: list[XeroTenant],
                        assignments: Mapping[str, int | None]) -> dict[str, str]:
    """What is wrong with assigning these organisations to these entities, by tenant id:
    two organisations for one entity, or an organisation another entity already uses."""
    problems: dict[str, str] = {}
    stored = serving()
    taken: dict[int, XeroTenant] = {}
    for tenant in organisations:
        entity_id = assignments.get(tenant.tenant_id)
        if entity_id is None:
            continue
        entity = db.session.get(BillingEntity, entity_id)
        if entity is None:
            problems[tenant.tenant_id] = "Choose an entity from the list."
            continue
        row = stored.get(tenant.tenant_id)
        if row is not None and row.entity_id != entity_id:
            other = db.session.get(BillingEntity, row.entity_id)
            problems[tenant.tenant_id] = (
                f"{tenant.tenant_name} is already connected to {other.name}. An organisation serves "
                f"one entity: disconnect it from {other.name} first, or use it for {other.name}.")
        elif entity_id in taken:
            problems[tenant.tenant_id] = (
                f"{entity.name} is chosen for {taken[entity_id].tenant_name} too: an entity uses "
                "one organisation.")
        else:
            taken[entity_id] = tenant
    return problems


def suggested(organisations: list[XeroTenant], entity_id: int | None) -> dict[str, int | None]:
    """The assignment the screen starts from: organisations connected here stay with their
    entity; the first new one goes to the entity whose card started the consent (unless
    that entity's own organisation is among them); the rest are not used."""
    stored = serving()
    entity_id = setup.entity_key(entity_id)
    choice = {t.tenant_id: (stored[t.tenant_id].entity_id if t.tenant_id in stored else None)
              for t in organisations}
    if entity_id not in choice.values():
        new = next((t for t in organisations if t.tenant_id not in stored), None)
        if new is not None:
            choice[new.tenant_id] = entity_id
    return choice


def assign(pending_id: str, assignments: Mapping[str, int | None],
           user_id: int | None) -> list[Connected]:
    """Connect each assigned organisation of a pending consent to its entity (one token set);
    disconnect at Xero those not used (unless another entity here uses them)."""
    try:
        organisations = consent.organisations(pending_id, user_id)
    except PendingGone as gone:
        raise ConnectError(gone.message) from gone
    problems = assignment_problems(organisations, assignments)
    if problems:
        raise ConnectError(next(iter(problems.values())))
    used = [t for t in organisations if assignments.get(t.tenant_id) is not None]
    if not used:
        raise ConnectError(NONE_ASSIGNED)
    try:
        tokens, organisations = consent.take(pending_id, user_id)
    except PendingGone as gone:
        raise ConnectError(gone.message) from gone
    stored = serving()
    outcomes = [_store(tokens, tenant, user_id, assignments[tenant.tenant_id]) for tenant in used]
    db.session.commit()
    used_ids = {t.tenant_id for t in used}
    unused = [t for t in organisations if t.tenant_id not in used_ids | set(stored)]
    notes = _disconnect_unused(used[0].tenant_id, unused)
    for outcome in outcomes:
        logger.info("xero: connected organisation %s (tenant %s) to entity %s",
                    outcome.tenant_name, outcome.tenant_id, outcome.entity_id)
    if notes:
        outcomes[-1].notes.extend(notes)
    return outcomes


def choose(pending_id: str, tenant_id: str, user_id: int | None,
           entity_id: int | None = None) -> Connected:
    """Connect one organisation of a pending consent to the entity; the others are not used."""
    organisations = pending_organisations(pending_id, user_id)
    if tenant_id not in {t.tenant_id for t in organisations}:
        raise ValueError("not one of the organisations of this consent")
    return assign(pending_id, {tenant_id: setup.entity_key(entity_id)}, user_id)[0]


def cancel(pending_id: str, user_id: int | None) -> None:
    """Forget a pending consent (its tokens with it)."""
    try:
        consent.cancel(pending_id, user_id)
    except PendingGone as gone:
        raise ConnectError(gone.message) from gone


def connect(tokens: TokenSet, tenant: XeroTenant, user_id: int | None,
            entity_id: int | None = None) -> Connected:
    """Store the connection of `tenant` for the entity and make the entity's settings its own.

    The entity's connection to another organisation is replaced (its connection at Xero is
    removed, best effort); other entities' connections are untouched.
    """
    outcome = _store(tokens, tenant, user_id, setup.entity_key(entity_id))
    db.session.commit()
    logger.info("xero: connected organisation %s (tenant %s) to entity %s",
                tenant.tenant_name, tenant.tenant_id, outcome.entity_id)
    return outcome


def _store(tokens: TokenSet, tenant: XeroTenant, user_id: int | None, entity_id: int) -> Connected:
    """Write the entity's connection (not committed); see connect()."""
    entity = _entity(entity_id)
    notes = []
    replaced = setup.connection(entity.id)
    if replaced is not None and replaced.tenant_id == tenant.tenant_id:
        replaced = None
    if replaced is not None:
        notes += _remove_at_xero(replaced, revoke=False)
    configured = setup.is_configured(tenant.tenant_id, entity.id)
    reset = setup.adopt(tenant.tenant_id, entity.id)
    if replaced is not None:
        db.session.delete(replaced)
        db.session.flush()  # gone before the new row takes the entity
    row = db.session.scalar(select(XeroConnection).where(XeroConnection.tenant_id == tenant.tenant_id))
    if row is not None and row.entity_id != entity.id:  # assignment_problems refuses this first
        raise ConnectError(f"{tenant.tenant_name} is already connected to another entity. {NOTHING_STORED}")
    with XeroClient() as client:
        client.save_connection(tokens, tenant, connected_by_id=user_id, entity_id=entity.id)
    return Connected(tenant.tenant_id, tenant.tenant_name, settings_reset=reset,
                     configured=configured and not reset, notes=notes,
                     entity_id=entity.id, entity_name=entity.name)


def _disconnect_unused(tenant_id: str, unused: list[XeroTenant]) -> list[str]:
    """Remove at Xero the organisations a consent granted that no entity uses."""
    notes = []
    if not unused:
        return notes
    with XeroClient(tenant_id) as client:
        for other in unused:
            try:
                client.delete_connection(other.connection_id)
            except XeroError as failure:
                logger.warning("xero: could not disconnect tenant %s: %s", other.tenant_id, failure)
                notes.append(f"Bridge could not disconnect {other.tenant_name} at Xero ({failure}); "
                             "remove Bridge from that organisation in Xero.")
    return notes


def disconnect(entity_id: int | None = None) -> Disconnected:
    """Disconnect the entity's organisation at Xero, revoke its tokens (unless another entity's
    connection shares them) and erase them here; the other entities are untouched.

    The settings and the cached chart stay, for a reconnect to the same organisation; so
    does everything recorded about copies. If Xero cannot be reached, nothing changes.
    """
    entity = _entity(entity_id)
    row = setup.connection(entity.id)
    if row is None:
        raise ConnectError(f"Xero is not connected for {entity.name}.")
    tenant_id, tenant_name = row.tenant_id, row.tenant_name
    notes = _remove_at_xero(row, revoke=not _shares_tokens(row), must_reach=True)
    db.session.execute(delete(XeroConnection).where(XeroConnection.id == row.id))
    db.session.commit()
    logger.info("xero: disconnected organisation %s (tenant %s) from entity %s", tenant_name, tenant_id, entity.id)
    return Disconnected(tenant_name, notes, entity.name)


def _shares_tokens(row: XeroConnection) -> bool:
    """Whether another stored connection came from the same consent (one token set)."""
    if not row.auth_event_id:
        return False
    return db.session.scalar(select(XeroConnection.id).where(
        XeroConnection.auth_event_id == row.auth_event_id, XeroConnection.id != row.id).limit(1)) is not None


def _remove_at_xero(row: XeroConnection, revoke: bool = False, must_reach: bool = False) -> list[str]:
    """Delete the organisation's connection at Xero, then (revoke) its refresh token.

    Xero having ended the access already is fine. Otherwise a failure to delete raises
    ConnectError when must_reach, else becomes a note; a failure to revoke once the
    connection is gone is a note (the tokens are erased here all the same).
    Revoking ends every connection of the token set, so it is only done on disconnect, and
    only when no other entity's connection uses the same tokens.
    """
    tenant_id, tenant_name = row.tenant_id, row.tenant_name
    with XeroClient(tenant_id) as client:
        try:
            if not client.delete_connection():
                logger.info("xero: tenant %s was already disconnected at Xero", tenant_id)
        except XeroAuthorisationLost:
            return [f"Xero had already ended Bridge's access to {tenant_name}."]
        except XeroError as failure:
            if must_reach:
                raise ConnectError(f"{failure} Nothing was changed; please try again.") from failure
            return [f"Bridge could not disconnect {tenant_name} at Xero ({failure}); "
                    "remove Bridge from that organisation in Xero."]
        if not revoke:
            return []
        try:
            client.revoke_token()
        except XeroError as failure:
            logger.warning("xero: revoking tenant %s's token failed: %s", tenant_id, failure)
            return [f"Xero did not confirm that Bridge's access ended ({failure}); "
                    "Bridge forgot it all the same."]
    return []


def _entity(entity_id: int | None) -> BillingEntity:
    """The billing entity meant (None: the first); ConnectError when it no longer exists."""
    entity = db.session.get(BillingEntity, setup.entity_key(entity_id))
    if entity is None:
        raise ConnectError(f"That billing entity no longer exists. {NOTHING_STORED}")
    return entity
