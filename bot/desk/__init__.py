"""The community desk (社区后台) under /desk/: a Flask blueprint of server-rendered pages
for community workers on their phones, reading through the repositories and acting
through the same domain functions as the chat commands.

`create_blueprint(userid_from_code)` builds it; the factory registers it only when
`desk.enabled` is true, and passes the WeCom OAuth lookup when the app is configured.
Pages live one area per module (auth, board, cases, topics, roster); more pages hang on
the same blueprint through `register` functions listed in `PAGE_MODULES`. The nav bar
links an optional page only when its endpoint is registered (`nav_links`).
"""

from __future__ import annotations

from flask import Blueprint, current_app, url_for

from bot.desk import auth, board, cases, insights, roster, topics
from bot.desk.auth import UseridFromCode, current_viewer, refuse, take_flash

__all__ = ["MAX_BODY", "UseridFromCode", "create_blueprint", "nav_links", "not_found",
           "too_large"]

PAGE_MODULES = (board, cases, topics, roster, insights)
MAX_BODY = 256 * 1024  # a roster CSV upload (200 KiB) and its form

# (endpoint, label) of the nav bar, in order; missing endpoints are left out
NAV = (("desk.board", "工单"), ("desk.topics", "议题"), ("desk.roster", "人员"),
       ("desk.stats", "三率"), ("desk.hotspots", "热点"), ("desk.exports", "导出"))


def nav_links() -> list[tuple[str, str, str]]:
    """(endpoint, url, label) of the nav bar's pages that exist in this app."""
    views = current_app.view_functions
    return [(endpoint, url_for(endpoint), label) for endpoint, label in NAV
            if endpoint in views]


def not_found():
    """A Chinese page for an address under /desk/ that does not exist."""
    return refuse(404, "no_page")


def too_large():
    """A Chinese page for a form or upload over MAX_BODY."""
    return refuse(413, "too_large")


def create_blueprint(userid_from_code: UseridFromCode | None = None) -> Blueprint:
    bp = Blueprint("desk", __name__, url_prefix="/desk", template_folder="templates",
                   static_folder="static", static_url_path="/static")
    auth.register(bp, userid_from_code)
    for module in PAGE_MODULES:
        module.register(bp)

    @bp.app_context_processor
    def desk_context():
        return {"desk_nav": nav_links, "desk_flash": take_flash,
                "desk_viewer": current_viewer, "desk_oauth": userid_from_code is not None}

    return bp
