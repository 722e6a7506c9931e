"""Read and validate config.yaml.

The file is read with PyYAML, `${ENV}` references are substituted (secrets stay out of
the file), the result is validated with the pydantic schema of `bot.config`, and then
cross-checked (routing keys are category codes, roles exist, ids are unique, lexicon
additions are well formed). Every problem is reported with its key path, e.g.
``communities[0].routing.water_leek: unknown category``.

`$BOT_CONFIG` names the file when no path is given; `$BOT_DATABASE_URL` overrides
``database.url``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.config import Config, ConfigError
from bot.domain.categories import CATEGORY_CODES
from bot.domain.roles import ROLE_CODES
from bot.nlp.lexicon import validate_extra

DEFAULT_CONFIG_PATH = "config.yaml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def format_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """('communities', 0, 'routing', 'x') -> 'communities[0].routing.x'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top)"


def substitute_env(node: Any, environ: dict[str, str], path: tuple = (),
                   problems: list | None = None) -> Any:
    """Replace ``${NAME}`` / ``${NAME:-default}`` in every string of the tree."""
    problems = [] if problems is None else problems
    if isinstance(node, dict):
        return {k: substitute_env(v, environ, path + (k,), problems) for k, v in node.items()}
    if isinstance(node, list):
        return [substitute_env(v, environ, path + (i,), problems) for i, v in enumerate(node)]
    if isinstance(node, str):
        def repl(match: re.Match) -> str:
            name, default = match.group(1), match.group(2)
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            problems.append((format_path(path), f"environment variable {name} is not set"))
            return ""
        return _ENV_REF.sub(repl, node)
    return node


def _semantic_problems(cfg: Config) -> list[tuple[str, str]]:
    """Cross-field checks pydantic cannot express alone."""
    problems: list[tuple[str, str]] = []
    known_roles = set(ROLE_CODES)
    seen_groups: set[str] = set()
    for ci, com in enumerate(cfg.communities):
        base = f"communities[{ci}]"
        seen_members: set[str] = set()
        for mi, member in enumerate(com.members):
            if member.id in seen_members:
                problems.append((f"{base}.members[{mi}].id", f"duplicate member id {member.id!r}"))
            seen_members.add(member.id)
            for ri, role in enumerate(member.roles):
                if role not in known_roles:
                    problems.append((f"{base}.members[{mi}].roles[{ri}]", f"unknown role {role!r}"))
        for gi, group in enumerate(com.groups):
            if group.id in seen_groups:
                problems.append((f"{base}.groups[{gi}].id", f"duplicate group id {group.id!r}"))
            seen_groups.add(group.id)
        for key, roles in com.routing.items():
            if key != "default" and key not in CATEGORY_CODES:
                problems.append((f"{base}.routing.{key}", "unknown category"))
            for ri, role in enumerate(roles):
                if role not in known_roles:
                    problems.append((f"{base}.routing.{key}[{ri}]", f"unknown role {role!r}"))
        for ti, tier in enumerate(com.tiers):
            for ri, role in enumerate(tier.roles):
                if role not in known_roles:
                    problems.append((f"{base}.tiers[{ti}].roles[{ri}]", f"unknown role {role!r}"))
        if not com.tiers:
            problems.append((f"{base}.tiers", "at least one tier is needed"))
        for path, msg in validate_extra(com.lexicon) if com.lexicon else []:
            problems.append((f"{base}.lexicon.{path}", msg))
    for key in cfg.sla.categories:
        if key not in CATEGORY_CODES:
            problems.append((f"sla.categories.{key}", "unknown category"))
    return problems


def config_from_dict(raw: Any, environ: dict[str, str] | None = None) -> Config:
    """Validate an already-parsed YAML tree; raise ConfigError listing every problem."""
    environ = dict(os.environ) if environ is None else environ
    if not isinstance(raw, dict):
        raise ConfigError([("(top)", "the file must hold a mapping of keys")])
    problems: list[tuple[str, str]] = []
    data = substitute_env(raw, environ, problems=problems)
    if environ.get("BOT_DATABASE_URL"):
        data.setdefault("database", {})
        if isinstance(data["database"], dict):
            data["database"] = {**data["database"], "url": environ["BOT_DATABASE_URL"]}
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            problems.append((format_path(err["loc"]), msg))
        raise ConfigError(problems) from None
    problems.extend(_semantic_problems(cfg))
    if problems:
        raise ConfigError(problems)
    return cfg


def resolve_config_path(path: str | None = None) -> Path:
    return Path(path or os.environ.get("BOT_CONFIG") or DEFAULT_CONFIG_PATH)


def load_config(path: str | None = None, environ: dict[str, str] | None = None) -> Config:
    """Read, substitute and validate the config file."""
    file = resolve_config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([(str(file), f"cannot read: {exc.strerror}")]) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else str(file)
        raise ConfigError([(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    return config_from_dict(raw, environ)
