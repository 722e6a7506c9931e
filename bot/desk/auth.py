"""Getting into the desk and staying in: sessions, one-time links, 企业微信网页授权
(OAuth), CSRF, `desk_login_required` and `current_viewer()`.

- A session is a signed cookie (itsdangerous, `desk.secret`) holding the member's id, a
  CSRF token, when it began and when it was last used; it ends after
  `desk.idle_minutes` without a request and after `desk.max_hours` in any case. Times
  are the wall clock's (the demo's business clock may run ahead).
- A one-time link (`/后台`, `python -m bot desk-link`) opens a page with one button:
  the POST uses the token up and starts the session (a link preview that fetches the
  page does not burn it).
- OAuth (with the WeCom app enabled): `/desk/oauth` redirects to WeCom's authorize URL
  with a state kept in a short signed cookie; the callback turns the code into a
  userid (the factory passes the function that asks WeCom) and signs that member in.
- Every POST but the link's carries the session's CSRF token (`csrf` form field).
- Who may come in, and what they see, is `bot.domain.desk`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from bot.domain.desk import (
    communities_of,
    link_is_valid,
    may_use_desk,
    member_for_link,
    redeem_link,
)
from bot.domain.roles import role_label

if TYPE_CHECKING:
    from bot.application import Application
    from storage.models import Member

COOKIE = "linli_desk"
OAUTH_COOKIE = "linli_desk_oauth"
OAUTH_STATE_SECONDS = 600
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
NO_CSRF = frozenset({"desk.login"})  # the one-time token itself is the secret

UseridFromCode = Callable[[str], "str | None"]


@dataclass(frozen=True)
class Viewer:
    """The signed-in member as the pages need them."""

    member_id: int
    external_id: str
    name: str
    community_id: str
    roles: frozenset[str]
    communities: tuple[str, ...] | None  # None: every community
    csrf: str

    @property
    def role_labels(self) -> list[str]:
        return [role_label(r) for r in sorted(self.roles)]


def bot() -> Application:
    return current_app.extensions["linli"]


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(bot().config.desk.secret, salt=salt)


def _wall() -> float:
    return bot().wall_clock().timestamp()


def page(template: str, status: int = 200, **values: Any):
    return render_template(f"desk/{template}", **values), status


def refuse(status: int, reason: str):
    """The Chinese page for someone who may not be here (401: not signed in, 403: no
    right, 404: nothing there); never a trace."""
    return page("denied.html", status, reason=reason, viewer=getattr(g, "viewer", None))


# --- the session cookie ----------------------------------------------------------------------

def _read_session() -> tuple[dict | None, str]:
    """The live session of this request and, when there is none, why ("" none sent,
    "expired")."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None, ""
    try:
        data = _serializer("session").loads(raw)
    except BadSignature:
        return None, ""
    desk = bot().config.desk
    now = _wall()
    if not isinstance(data, dict) or not isinstance(data.get("m"), int):
        return None, ""
    if now - float(data.get("seen", 0)) > desk.idle_minutes * 60 or \
            now - float(data.get("iat", 0)) > desk.max_hours * 3600:
        return None, "expired"
    return data, ""


def _write_session(response, data: dict | None) -> None:
    desk = bot().config.desk
    if data is None:
        response.delete_cookie(COOKIE, path="/desk")
        return
    response.set_cookie(COOKIE, _serializer("session").dumps(data), path="/desk",
                        httponly=True, samesite="Lax",
                        secure=desk.public_url.startswith("https://"))


def start_session(response, member: Member) -> None:
    now = _wall()
    _write_session(response, {"m": member.id, "csrf": secrets.token_hex(16), "iat": now,
                              "seen": now})


def flash(message: str) -> None:
    """A line shown once on the next page (kept in the session cookie)."""
    if g.get("desk_session") is not None:
        g.desk_session["flash"] = message


def take_flash() -> str:
    session = g.get("desk_session")
    return session.pop("flash", "") if session else ""


# --- the viewer -------------------------------------------------------------------------------

def current_viewer() -> Viewer | None:
    return g.get("viewer")


def _load_viewer(member_id: int, csrf: str) -> Viewer | None:
    app = bot()
    with app.store.transaction() as repos:
        member = repos.members.get(member_id)
        if not may_use_desk(member):
            return None
        return Viewer(member.id, member.external_id, member.name, member.community_id,
                      frozenset(member.role_codes), communities_of(app.config, member), csrf)


def desk_login_required(view: Callable) -> Callable:
    """A page for signed-in desk users: 401 without a (live) session, 403 for someone
    whose roles no longer give a desk."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        session = g.get("desk_session")
        if session is None:
            reason = "expired" if g.get("desk_expired") else "signin"
            return refuse(401, reason)
        viewer = _load_viewer(session["m"], session.get("csrf", ""))
        if viewer is None:
            g.desk_session = None
            return refuse(403, "no_role")
        g.viewer = viewer
        return view(*args, **kwargs)

    return wrapper


# --- hooks -----------------------------------------------------------------------------------

def _before() -> Any:
    session, why = _read_session()
    g.desk_session = session
    g.desk_expired = why == "expired"
    g.desk_clear = bool(request.cookies.get(COOKIE)) and session is None
    if request.method in UNSAFE and request.endpoint not in NO_CSRF:
        given = request.form.get("csrf", "")
        expected = (session or {}).get("csrf", "")
        if not expected:
            return refuse(401, "expired" if why else "signin")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return refuse(403, "csrf")
    return None


def _after(response):
    session = g.get("desk_session")
    if session is not None:
        session["seen"] = _wall()
        _write_session(response, session)
    elif g.get("desk_clear"):
        _write_session(response, None)
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


# --- routes ----------------------------------------------------------------------------------

def register(bp: Blueprint, userid_from_code: UseridFromCode | None) -> None:
    bp.before_request(_before)
    bp.after_request(_after)

    @bp.get("/login")
    def login_page():
        """The link's landing page: one button that signs in (the token stays unused)."""
        token = request.args.get("t", "")
        app = bot()
        with app.store.transaction() as repos:
            member = link_is_valid(repos, token, app.wall_clock())
            name = member.name if member else ""
        if not name:
            return refuse(401, "bad_link")
        return page("login.html", token=token, name=name, viewer=None)

    @bp.post("/login")
    def login():
        app = bot()
        with app.store.transaction() as repos:
            member = redeem_link(repos, request.form.get("t", ""), app.wall_clock())
            if member is None:
                return refuse(401, "bad_link")
            response = redirect(url_for("desk.board"))
            start_session(response, member)
        g.desk_session = None  # the new cookie stands; nothing else to write
        g.desk_clear = False
        return response

    @bp.post("/logout")
    def logout():
        g.desk_session = None
        g.desk_clear = True
        return redirect(url_for("desk.signed_out"))

    @bp.get("/signed-out")
    def signed_out():
        return refuse(401, "signed_out")

    @bp.get("/oauth")
    def oauth_start():
        if userid_from_code is None:
            return refuse(404, "no_oauth")
        app = bot()
        state = secrets.token_urlsafe(16)
        wecom = app.config.channels.wecom_app
        query = urlencode({"appid": wecom.corp_id,
                           "redirect_uri": app.config.desk.public_url + url_for(
                               "desk.oauth_callback"),
                           "response_type": "code", "scope": "snsapi_base", "state": state,
                           "agentid": wecom.agent_id})
        response = redirect(f"{app.config.desk.oauth_authorize_url}?{query}#wechat_redirect")
        response.set_cookie(OAUTH_COOKIE, _serializer("oauth").dumps(
            {"state": state, "at": _wall()}), path="/desk", httponly=True, samesite="Lax",
            max_age=OAUTH_STATE_SECONDS)
        return response

    @bp.get("/oauth/callback")
    def oauth_callback():
        if userid_from_code is None:
            return refuse(404, "no_oauth")
        try:
            kept = _serializer("oauth").loads(request.cookies.get(OAUTH_COOKIE, ""))
        except BadSignature:
            kept = None
        state, code = request.args.get("state", ""), request.args.get("code", "")
        if not isinstance(kept, dict) or not code or not hmac.compare_digest(
                str(kept.get("state", "")).encode(), state.encode()) or \
                _wall() - float(kept.get("at", 0)) > OAUTH_STATE_SECONDS:
            return refuse(401, "bad_oauth")
        userid = userid_from_code(code)
        app = bot()
        with app.store.transaction() as repos:
            member = member_for_link(repos, app.config, userid) if userid else None
            if not may_use_desk(member):
                return refuse(403, "no_role")
            response = redirect(url_for("desk.board"))
            start_session(response, member)
        response.delete_cookie(OAUTH_COOKIE, path="/desk")
        g.desk_session = None
        g.desk_clear = False
        return response
