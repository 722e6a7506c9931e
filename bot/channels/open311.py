"""Open311 GeoReport v2 for other systems (a city's 12345 back office, a 街道 platform):
the categories as services, the cases as service requests, and filing a request into a
group. Registered by bot/factory.py when `open311.enabled`.

- `GET  /open311/v2/services.json`             the categories (service_code = category code)
- `GET  /open311/v2/requests.json`             cases; filters `service_request_id` (comma
  separated), `status` (open|closed), `service_code`, `start_date`, `end_date` (W3C
  datetimes; by default the last 90 days), paging `page` (from 1) and `page_size`
- `GET  /open311/v2/requests/{id}.json`        one case
- `POST /open311/v2/requests.json`             form or JSON: `service_code`, `description`,
  the group in `attribute[group_id]` (JSON: `{"attribute": {"group_id": …}}` or
  `group_id`; default `open311.default_group`, else the first configured group),
  optional `address_string` (read for the building, unit, room), `lat`, `long`
  (checked, not stored). The request is journalled and dispatched
  as a `/报修` from the sender "open311" through the same ingest path as a chat
  message: the group sees the case being opened and its staff are pinged.

With `open311.api_key` set every request needs `api_key` (query, form or JSON); without
it or with a wrong one the answer is 401. Bad input is a 400; errors are the GeoReport
array `[{"code": 400, "description": "…"}]`. Privacy: descriptions are masked
(`bot.privacy.mask_private`); no complainant name, member id or contact field is ever
returned, and the contact fields of a POST (first_name, email, phone …) are not stored.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from bot.channels.payloads import MAX_ID, PayloadError, clean
from bot.domain.categories import CATEGORIES, category_label
from bot.events import IncomingMessage
from bot.ingest import handle, journal
from bot.privacy import mask_private
from bot.texts import common as common_words
from bot.texts import open311 as words
from bot.texts import state_label
from storage.models import OPEN_STATES, Case

CHANNEL = "open311"
SENDER_ID = "open311"
MAX_DESCRIPTION = 4000
MAX_ADDRESS = 200
DEFAULT_DAYS = 90
MAX_PAGE_SIZE = 1000
REPORT_COMMAND = "/report "


class BadRequest(ValueError):
    """Input an Open311 client must fix (400)."""


def _errors(status: int, description: str):
    return jsonify([{"code": status, "description": description}]), status


def _iso(when: datetime | None, tz) -> str | None:
    return None if when is None else when.astimezone(tz).isoformat(timespec="seconds")


def service_list() -> list[dict[str, Any]]:
    return [{"service_code": code, "service_name": label, "description": label,
             "metadata": False, "type": "realtime", "keywords": code, "group": ""}
            for code, label in CATEGORIES.items()]


def request_record(case: Case, tz) -> dict[str, Any]:
    """One case in the GeoReport v2 fields; never a name, an id of a person or a number."""
    return {
        "service_request_id": str(case.id),
        "status": "open" if case.state in OPEN_STATES else "closed",
        "status_notes": state_label(case.state, case.rating),
        "service_name": category_label(case.category),
        "service_code": case.category,
        "description": mask_private(case.text),
        "agency_responsible": case.transferred_to or "",
        "service_notice": "",
        "requested_datetime": _iso(case.opened_at, tz),
        "updated_datetime": _iso(case.updated_at, tz),
        "expected_datetime": _iso(case.resolve_by, tz),
        "address": common_words.place(case.location or {}),
        "address_id": "",
        "zipcode": "",
        "lat": None,
        "long": None,
        "media_url": "",
    }


def _when(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be a W3C datetime, e.g. 2026-11-01T00:00:00+08:00"
                         ) from None
    if parsed.tzinfo is None:
        raise BadRequest(f"{name} must carry a UTC offset, e.g. +08:00")
    return parsed


def _positive(value: str | None, name: str, default: int, top: int) -> int:
    if value in (None, ""):
        return default
    if not value.isdigit() or int(value) < 1:
        raise BadRequest(f"{name} must be a whole number from 1")
    return min(int(value), top)


def _coordinate(value: Any, name: str, bound: float) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be a number") from None
    if not -bound <= number <= bound:
        raise BadRequest(f"{name} out of range")
    return number


def _field(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise BadRequest(f"field {key} must be a string")
    return clean(str(value), key)


def _post_fields() -> dict[str, Any]:
    """The POSTed fields, form or JSON; `attribute[group_id]` in a form is the
    `group_id` of `attribute`."""
    if request.mimetype == "application/json":
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadRequest("body must be a JSON object")
        attributes = data.get("attribute") or {}
        if not isinstance(attributes, dict):
            raise BadRequest("attribute must be an object")
        return {**data, "group_id": attributes.get("group_id", data.get("group_id"))}
    form = request.form
    return {**{k: form.get(k) for k in form},
            "group_id": form.get("attribute[group_id]") or form.get("group_id")}


def create_blueprint() -> Blueprint:
    bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

    @bp.before_request
    def authorise():
        bot = current_app.extensions["linli"]
        key = bot.config.open311.api_key
        if not key:
            return None
        given = request.args.get("api_key", "")
        if not given and request.method == "POST":
            data = request.get_json(silent=True) if request.is_json else request.form
            given = data.get("api_key", "") if hasattr(data, "get") else ""
        given = given if isinstance(given, str) else ""
        if not given or not hmac.compare_digest(given.encode("utf-8", "replace"),
                                                key.encode()):
            return _errors(401, "api_key missing or wrong")
        return None

    @bp.errorhandler(BadRequest)
    @bp.errorhandler(PayloadError)
    def bad_request(exc):
        return _errors(400, str(exc))

    @bp.get("/services.json")
    def services():
        _check_jurisdiction()
        return jsonify(service_list())

    @bp.get("/requests.json")
    def requests_list():
        bot = current_app.extensions["linli"]
        _check_jurisdiction()
        args = request.args
        status = args.get("status", "")
        if status not in ("", "open", "closed"):
            raise BadRequest("status must be open or closed")
        codes = [c for c in args.get("service_code", "").split(",") if c]
        if any(c not in CATEGORIES for c in codes):
            raise BadRequest("unknown service_code")
        start = _when(args["start_date"], "start_date") if args.get("start_date") else None
        end = _when(args["end_date"], "end_date") if args.get("end_date") else None
        if start is None and end is None:
            start = bot.now() - timedelta(days=DEFAULT_DAYS)
        if start and end and end < start:
            raise BadRequest("end_date is before start_date")
        size = _positive(args.get("page_size"), "page_size", bot.config.open311.page_size,
                         MAX_PAGE_SIZE)
        page = _positive(args.get("page"), "page", 1, 10 ** 6)
        ids = _ids(args.get("service_request_id", ""))
        communities = [c.id for c in bot.config.communities]
        with bot.store.transaction() as repos:
            if ids:
                cases = [c for c in (repos.cases.get(i) for i in ids)
                         if c is not None and c.community_id in communities]
            else:
                cases = repos.cases.page(communities, state=status or None,
                                         categories=codes, start=start, end=end,
                                         offset=(page - 1) * size, limit=size)
            return jsonify([request_record(c, bot.config.tz) for c in cases])

    @bp.get("/requests/<request_id>.json")
    def request_one(request_id: str):
        bot = current_app.extensions["linli"]
        _check_jurisdiction()
        if not request_id.isdigit() or len(request_id) > 12:
            raise BadRequest("service_request_id must be a number")
        communities = {c.id for c in bot.config.communities}
        with bot.store.transaction() as repos:
            case = repos.cases.get(int(request_id))
            if case is None or case.community_id not in communities:
                return _errors(404, f"service request {request_id} not found")
            return jsonify([request_record(case, bot.config.tz)])

    @bp.post("/requests.json")
    def create_request():
        bot = current_app.extensions["linli"]
        fields = _post_fields()
        _check_jurisdiction(fields)
        code = _field(fields, "service_code")
        if code not in CATEGORIES:
            raise BadRequest("service_code missing or unknown (see services.json)")
        description = " ".join(_field(fields, "description").split())
        if not description:
            raise BadRequest("description is required")
        if len(description) > MAX_DESCRIPTION:
            raise BadRequest(f"description longer than {MAX_DESCRIPTION} characters")
        address = " ".join(_field(fields, "address_string").split())[:MAX_ADDRESS]
        # checked, not stored: the groups speak in buildings and units
        _coordinate(fields.get("lat"), "lat", 90)
        _coordinate(fields.get("long"), "long", 180)
        group_id = _group_id(bot, _field(fields, "group_id"))
        now = bot.now()
        text = f"{address} {description}" if address else description
        msg = IncomingMessage(channel=CHANNEL, msg_id=f"open311-{uuid.uuid4().hex}",
                              group_id=group_id, sender_id=SENDER_ID,
                              sender_name=words.SENDER_NAME, text=REPORT_COMMAND + text,
                              sent_at=now, category=code)
        inbound_id = journal(bot, msg)
        posts = handle(bot, inbound_id, inline=False) if inbound_id is not None else []
        case_id = next((p["case_id"] for p in posts if p.get("case_id")), None)
        if case_id is None:
            return _errors(500, "the request could not be filed")
        return jsonify([{"service_request_id": str(case_id),
                         "service_notice": words.SERVICE_NOTICE, "account_id": None}]), 201

    return bp


def _ids(value: str) -> list[int]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if any(not p.isdigit() or len(p) > 12 for p in parts):
        raise BadRequest("service_request_id must be numbers separated by commas")
    return [int(p) for p in parts[:MAX_PAGE_SIZE]]


def _check_jurisdiction(fields: dict[str, Any] | None = None) -> None:
    settings = current_app.extensions["linli"].config.open311
    given = (fields or {}).get("jurisdiction_id") or request.args.get("jurisdiction_id", "")
    if given and settings.jurisdiction_id and given != settings.jurisdiction_id:
        raise BadRequest("unknown jurisdiction_id")


def _group_id(bot, given: str) -> str:
    """The configured group a request goes to (400 for one the bot does not know)."""
    configured = [g.id for c in bot.config.communities for g in c.groups]
    if given:
        if len(given) > MAX_ID:
            raise BadRequest("group_id too long")
        with bot.store.transaction() as repos:
            group = repos.groups.get(given)
            if group is None or group.private:
                raise BadRequest(f"unknown group_id {given}")
        return given
    default = bot.config.open311.default_group or (configured[0] if configured else "")
    if not default:
        raise BadRequest("attribute[group_id] is required")
    return default
