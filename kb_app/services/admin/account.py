"""A user's own account: new passwords that are not easy to guess, changing the
password, "Glömt lösenordet?" by mail, and the list of one's own sessions.

New passwords (set through an invitation, changed, reset) are checked offline
with zxcvbn, which knows the most common passwords, names, keyboard patterns
and dates, fed with a few Swedish words and the user's own name and e-mail.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, select
from zxcvbn import zxcvbn

from kb_app.db import read_scope, session_scope
from kb_app.domain.access import Actor
from kb_app.domain.fmt import sv_datetime
from kb_app.models import OneTimeToken, User, UserSession
from kb_app.services.admin import auth
from kb_app.services.base import outbox
from kb_app.settings import get_settings

MIN_SCORE = 3  # zxcvbn: 0 too guessable … 4 very unguessable
RESET_PURPOSE = "reset_password"
RESET_VALID_FOR = timedelta(minutes=30)
# At most this many reset mails per account and hour: the form cannot flood a mailbox.
RESETS_PER_HOUR = 3

# Swedish words common in passwords that zxcvbn's (English) dictionaries miss.
SWEDISH_WORDS = [
    "lösenord", "losenord", "hemligt", "hemlig", "sommar", "vinter", "våren", "hösten",
    "välkommen", "valkommen", "skolan", "skola", "elev", "lärare", "rektor", "kommun",
    "värna", "varna", "sverige", "stockholm", "göteborg", "malmö", "kärlek", "hejsan",
    "qwerty", "asdfgh", "abc123", "mamma", "pappa", "fotboll", "hockey", "januari",
    "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
    "oktober", "november", "december", "måndag", "fredag",
]  # fmt: skip

MSG_WEAK = (
    "Lösenordet är för lätt att gissa: det liknar vanliga lösenord, ord, namn eller "
    "mönster som testas först vid intrång. Välj ett längre lösenord, gärna tre eller "
    "fyra ord som inte hör ihop."
)
MSG_WRONG_CURRENT = "Det nuvarande lösenordet stämmer inte."
MSG_SAME = "Det nya lösenordet måste skilja sig från det nuvarande."
MSG_MISMATCH = "Lösenorden är inte likadana."
RESET_ANSWER = (
    "Om adressen hör till ett konto i Värna har vi skickat en länk dit. Länken gäller i "
    "30 minuter och kan användas en gång. Kolla även skräpposten."
)


def new_password_problem(password: str, *, user_inputs: tuple[str, ...] = ()) -> str | None:
    """A Swedish message if ``password`` may not become a new password, else None."""
    problem = auth.password_problem(password)
    if problem:
        return problem
    inputs = [*SWEDISH_WORDS]
    for value in user_inputs:
        inputs += [
            part for part in value.lower().replace("@", " ").replace(".", " ").split() if part
        ]
    if zxcvbn(password, user_inputs=inputs)["score"] < MIN_SCORE:
        return MSG_WEAK
    return None


def _end_sessions(s: Session, user_id: int, *, now: datetime, keep_id: int | None = None) -> int:
    query = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if keep_id is not None:
        query = query.where(UserSession.id != keep_id)
    ended = s.execute(query.values(revoked_at=now)).rowcount or 0
    auth.forget_sessions(user_id)  # this process's short session cache (other workers: seconds)
    return ended


def change_password(
    token: str | None, current: str, new: str, repeated: str, *, client: str = "", now: datetime
) -> str | None:
    """Change the signed-in user's password (the current one required). Every other
    session of the user ends. Returns a Swedish error, or None when done."""
    with read_scope() as s:
        session = auth.live_session(s, token)
        user = s.get(User, session.user_id) if session else None
        if user is None or not user.active:
            return auth.MSG_BAD_LOGIN
        stored, user_id, inputs = user.password_hash, user.id, (user.name, user.email)
    if new != repeated:
        return MSG_MISMATCH
    problem = new_password_problem(new or "", user_inputs=inputs)
    if problem:
        return problem
    try:
        valid = bool(stored) and auth.verify_password(current or "", stored)
    except (ValueError, TypeError):
        valid = False
    with session_scope() as s:
        if not valid:
            auth.record(s, auth.Event.CHANGE_FAILED, now=now, user_id=user_id, client=client)
            return MSG_WRONG_CURRENT
        if auth.verify_password(new, stored):
            return MSG_SAME
    hashed = auth.hash_password(new)
    with session_scope() as s:
        user = s.get(User, user_id)
        user.password_hash = hashed
        s.add(user)
        session = auth.live_session(s, token)
        _end_sessions(s, user_id, now=now, keep_id=session.id if session else None)
        auth.record(s, auth.Event.PASSWORD_CHANGED, now=now, user_id=user_id, client=client)
    return None


def reset_link(token: str) -> str:
    return f"{get_settings().public_url}/satt-losenord/{token}"


def request_reset(email: str, *, client: str = "", now: datetime) -> None:
    """ "Glömt lösenordet?": mail a one-time link (30 minutes, single use) when the
    address belongs to an active account. The caller answers RESET_ANSWER either
    way, and the work done is the same, so nothing tells whether it exists."""
    email = auth.normalise_email(email)
    with session_scope() as s:
        user = s.exec(select(User).where(User.email == email)).first()
        auth.record(
            s,
            auth.Event.RESET_REQUESTED,
            now=now,
            email=email,
            user_id=user.id if user else None,
            client=client,
        )
        if user is None or not user.active:
            return
        recent = s.exec(
            select(func.count())
            .select_from(OneTimeToken)
            .where(
                OneTimeToken.user_id == user.id,
                OneTimeToken.purpose == RESET_PURPOSE,
                OneTimeToken.created_at > now - timedelta(hours=1),
            )
        ).one()
        if recent >= RESETS_PER_HOUR:
            return
        token = secrets.token_urlsafe(32)
        s.add(
            OneTimeToken(
                token_hash=auth.token_hash(token),
                user_id=user.id,
                purpose=RESET_PURPOSE,
                created_at=now,
                expires_at=now + RESET_VALID_FOR,
            )
        )
        outbox.queue_mail(
            s,
            to=user.email,
            subject="Värna: återställ ditt lösenord",
            body=(
                "Hej!\n\nNågon (förhoppningsvis du) har bett om att få återställa lösenordet "
                "till ditt konto i Värna.\n\nVälj ett nytt lösenord här (länken gäller i 30 "
                f"minuter och kan användas en gång):\n{reset_link(token)}\n\n"
                "När du har valt ett nytt lösenord loggas du ut överallt där du är inloggad.\n\n"
                "Har du inte bett om detta kan du bortse från meddelandet; ditt lösenord är "
                "oförändrat.\n"
            ),
            now=now,
            organisation_id=user.organisation_id,
        )


def after_password_set(s: Session, row: OneTimeToken, *, now: datetime, client: str = "") -> None:
    """What a used set-password or reset link does besides setting the password: a
    reset ends every session of the user. Both are recorded."""
    if row.purpose == RESET_PURPOSE:
        _end_sessions(s, row.user_id, now=now)
        auth.record(s, auth.Event.PASSWORD_RESET, now=now, user_id=row.user_id, client=client)
    else:
        auth.record(s, auth.Event.PASSWORD_SET, now=now, user_id=row.user_id, client=client)


@dataclass(frozen=True)
class SessionRow:
    id: int
    started: str
    last_seen: str
    client: str
    device: str
    current: bool


def _device(user_agent: str) -> str:
    ua = user_agent or ""
    browser = next(
        (name for key, name in [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
                                ("Safari/", "Safari")] if key in ua),
        "Okänd webbläsare",
    )  # fmt: skip
    system = next(
        (name for key, name in [("Windows", "Windows"), ("iPhone", "iPhone"), ("iPad", "iPad"),
                                ("Android", "Android"), ("Mac OS", "Mac"), ("Linux", "Linux")]
         if key in ua),
        "",
    )  # fmt: skip
    return f"{browser} på {system}" if system else browser


def my_sessions(actor: Actor, token: str | None, *, now: datetime) -> list[SessionRow]:
    """The signed-in user's live sessions, newest first; the current one marked."""
    own = auth.token_hash(token) if token else ""
    with read_scope() as s:
        rows = s.exec(
            select(UserSession)
            .where(
                UserSession.user_id == actor.user_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
            )
            .order_by(UserSession.last_seen_at.desc())
        ).all()
        return [
            SessionRow(
                id=row.id,
                started=sv_datetime(row.created_at),
                last_seen=sv_datetime(row.last_seen_at),
                client=row.client or "okänd adress",
                device=_device(row.user_agent),
                current=row.token_hash == own,
            )
            for row in rows
        ]


def end_session(actor: Actor, session_id: int | None, token: str | None, *, now: datetime) -> int:
    """End one of the user's own sessions (``session_id``), or all others (None).
    Another user's session id ends nothing. Returns how many ended."""
    with session_scope() as s:
        current = auth.live_session(s, token)
        if session_id is None:
            ended = _end_sessions(
                s, actor.user_id, now=now, keep_id=current.id if current else None
            )
        else:
            ended = (
                s.execute(
                    update(UserSession)
                    .where(
                        UserSession.id == session_id,
                        UserSession.user_id == actor.user_id,
                        UserSession.revoked_at.is_(None),
                    )
                    .values(revoked_at=now)
                ).rowcount
                or 0
            )
        if ended:
            auth.forget_sessions(actor.user_id)
            auth.record(s, auth.Event.SESSION_ENDED, now=now, user_id=actor.user_id)
        return ended
