"""Scopes of recogniser versions, and which version reads a page.

A version belongs to the installation, a commune or a ledger; a page is read by the most
specific active one (ledger > commune > installation), else by the shipped model.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import Ledger, ModelState, ModelVersion, ScopeKind
from ocr_service.errors import BadInput

# Most specific first: the order a page's version is looked up in.
SPECIFICITY = (ScopeKind.ledger, ScopeKind.commune, ScopeKind.installation)


@dataclass(frozen=True)
class ScopeRef:
    """One scope: its kind and key (a ledger id, a commune name, "" for the installation)."""

    kind: ScopeKind
    key: str = ""

    def job_arg(self) -> str:
        """The training job's argument: "ledger:<id>", "commune:<name>", "installation:"."""
        return f"{self.kind.value}:{self.key}"

    @classmethod
    def of(cls, version: ModelVersion) -> ScopeRef:
        """The scope a stored version belongs to."""
        return cls(ScopeKind(version.scope_kind), version.scope_key)

    @classmethod
    def from_job_arg(cls, arg: str) -> ScopeRef:
        kind, sep, key = arg.partition(":")
        if not sep or kind not in ScopeKind.__members__:
            raise BadInput(f"not a training scope: {arg!r}")
        ref = cls(ScopeKind(kind), key)
        if (ref.kind == ScopeKind.installation) != (key == ""):
            raise BadInput(f"not a training scope: {arg!r}")
        return ref


def ledger_scopes(ledger: Ledger) -> list[ScopeRef]:
    """The scopes that reach a ledger, most specific first."""
    scopes = [ScopeRef(ScopeKind.ledger, ledger.id)]
    if ledger.commune:
        scopes.append(ScopeRef(ScopeKind.commune, ledger.commune))
    scopes.append(ScopeRef(ScopeKind.installation))
    return scopes


def active_version(session: Session, scope: ScopeRef) -> ModelVersion | None:
    """The active version of exactly this scope."""
    return session.scalar(
        select(ModelVersion).where(
            ModelVersion.scope_kind == scope.kind,
            ModelVersion.scope_key == scope.key,
            ModelVersion.state == ModelState.active,
        )
    )


def version_for_ledger(session: Session, ledger: Ledger) -> ModelVersion | None:
    """The version that reads the ledger's pages: the most specific active one, or None for
    the shipped model."""
    for scope in ledger_scopes(ledger):
        version = active_version(session, scope)
        if version is not None:
            return version
    return None


def version_reaching(session: Session, scope: ScopeRef) -> ModelVersion | None:
    """The version a scope's pages are read with now, from that scope outwards: what a new
    version for the scope must beat."""
    ordered = SPECIFICITY[SPECIFICITY.index(scope.kind) :]
    for kind in ordered:
        if kind == scope.kind:
            version = active_version(session, scope)
        elif kind == ScopeKind.installation:
            version = active_version(session, ScopeRef(ScopeKind.installation))
        else:  # a ledger's commune
            ledger = session.get(Ledger, scope.key)
            version = (
                active_version(session, ScopeRef(ScopeKind.commune, ledger.commune))
                if ledger is not None and ledger.commune
                else None
            )
        if version is not None:
            return version
    return None


def scope_ledger_ids(session: Session, scope: ScopeRef) -> list[str]:
    """The ledgers a scope reaches."""
    query = select(Ledger.id).order_by(Ledger.created_at, Ledger.id)
    if scope.kind == ScopeKind.ledger:
        query = query.where(Ledger.id == scope.key)
    elif scope.kind == ScopeKind.commune:
        query = query.where(Ledger.commune == scope.key)
    return list(session.scalars(query))
