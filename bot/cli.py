"""The command line of interfaces.md: demo, serve, tick, classify, evaluate, train,
corrections, check-config, report, desk-link, backup, restore, doctor.

Every command exits 0 on success; a bad config prints each problem with its key path and
exits 1. No command prints a traceback for a user error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime

from bot.clock import Clock
from bot.config import Config, ConfigError, DeskConfig, SimulatorConfig
from bot.config_file import load_config, resolve_config_path

ROLES = ("resident", "staff", "grid_worker", "moderator")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="Linli 邻里议事 bot")
    sub = p.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="SQLite, demo community, simulator page, scheduler")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--config", default=None)

    serve = sub.add_parser("serve", help="the server with the given config")
    serve.add_argument("--config", default=None)
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--threads", type=int, default=8)

    tick = sub.add_parser("tick", help="run the scheduled work due at an instant, once")
    tick.add_argument("--config", default=None)
    tick.add_argument("--at", default=None, help="ISO-8601 time (default: now)")

    classify = sub.add_parser("classify", help="classify a message or a JSONL file")
    classify.add_argument("text", nargs="?", default=None)
    classify.add_argument("--role", default="resident", choices=ROLES)
    classify.add_argument("--file", default=None)
    classify.add_argument("--config", default=None,
                          help="use this config's community lexicon additions")
    classify.add_argument("--community", default=None)
    classify.add_argument("--explain", action="store_true",
                          help="show the rule hits and the model's strongest features")

    evaluate = sub.add_parser("evaluate", help="score the classifier on a labelled JSONL "
                              "file, or cross-validate it on the corpus (--cv K)")
    evaluate.add_argument("file", nargs="?", default=None)
    evaluate.add_argument("--cv", type=int, default=None, metavar="K",
                          help="K-fold cross-validation on bot/nlp/corpus, per source")
    evaluate.add_argument("--quiet", action="store_true", help="numbers only, no error list")

    corr = sub.add_parser("corrections", help="export the labelled examples the groups made "
                          "(/立案, 不是诉求, /改类) in the corpus format")
    corr.add_argument("--config", default=None)
    corr.add_argument("--community", default=None, help="one community (default: all)")
    corr.add_argument("--out", required=True, help="FILE.jsonl")

    train = sub.add_parser("train", help="train the learned model from bot/nlp/corpus")
    train.add_argument("--out", default=None, help="model file (default: bot/nlp/model.json.gz)")

    backup = sub.add_parser("backup", help="a consistent copy of the database")
    backup.add_argument("--config", default=None)
    backup.add_argument("--out", default=None, help="file (default: linli-backup-<time>.db)")

    restore = sub.add_parser("restore", help="put a backup back (stop the server first)")
    restore.add_argument("file")
    restore.add_argument("--config", default=None)

    doctor = sub.add_parser("doctor", help="check config, database, channels, clock, outbox")
    doctor.add_argument("--config", default=None)

    link = sub.add_parser("desk-link", help="a one-time sign-in link to the desk")
    link.add_argument("member_id", help="the member's id (as in the roster, e.g. u-li)")
    link.add_argument("--config", default=None)
    link.add_argument("--minutes", type=int, default=None,
                      help="how long the link works (default: desk.link_minutes)")
    link.add_argument("--url", default=None,
                      help="the desk's address (default: desk.public_url)")

    check = sub.add_parser("check-config", help="validate the config file")
    check.add_argument("--config", default=None)

    report = sub.add_parser("report", help="the monthly report (社情民意月报)")
    report.add_argument("--config", default=None)
    report.add_argument("--period", required=True, help="YYYY-MM")
    report.add_argument("--format", default="md", choices=["md", "csv", "xlsx", "html"])
    report.add_argument("--out", default=None, help="file to write (default: stdout; "
                        "xlsx needs --out)")
    return p


def _load(path: str | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"{resolve_config_path(path)}: invalid configuration", file=sys.stderr)
        for where, msg in exc.problems:
            print(f"  {where}: {msg}", file=sys.stderr)
        raise SystemExit(1) from None


def _parse_at(value: str | None, cfg: Config, clock: Clock) -> datetime:
    if not value:
        return clock()
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        print(f"--at: not an ISO-8601 time: {value!r}", file=sys.stderr)
        raise SystemExit(2) from None
    return at if at.tzinfo else at.replace(tzinfo=cfg.tz)


def _serve_forever(cfg: Config, app, host: str, port: int, threads: int) -> None:
    import waitress

    from scheduler.runner import start_scheduler

    bot = app.extensions["linli"]
    bot.warm()  # the classifier loads before the first message, not during it
    sched = start_scheduler(bot) if cfg.scheduler.enabled else None
    aibot = cfg.channels.wecom_aibot
    long_connection = None
    if aibot.enabled and aibot.mode == "websocket":
        from bot import start_long_connection

        long_connection = start_long_connection(bot)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="linli")
    finally:
        if long_connection is not None:
            long_connection.stop()
        if sched is not None:
            sched.shutdown(wait=False)


def cmd_demo(args) -> int:
    from bot import create_app
    from bot.clock import SimulatedClock

    cfg = _load(args.config)
    channels = cfg.channels.model_copy(update={"simulator": SimulatorConfig(enabled=True)})
    cfg = cfg.model_copy(update={"channels": channels, "desk": _demo_desk(cfg, args.port),
                                 "open311": cfg.open311.model_copy(update={"enabled": True})})
    app = create_app(cfg, clock=SimulatedClock(cfg.tz), simulator=True)
    print(f"Linli demo: open http://127.0.0.1:{args.port}/  (database {cfg.database.url})",
          flush=True)
    print(f"Desk: http://127.0.0.1:{args.port}/desk/  (sign in: python -m bot desk-link "
          f"u-li --url http://127.0.0.1:{args.port})", flush=True)
    _serve_forever(cfg, app, "127.0.0.1", args.port, 8)
    return 0


def _demo_desk(cfg: Config, port: int) -> DeskConfig:
    """The demo turns the desk on, with a secret of its own when the file gives none."""
    import secrets

    return DeskConfig.model_validate({
        **cfg.desk.model_dump(), "enabled": True,
        "secret": cfg.desk.secret or secrets.token_urlsafe(32),
        "public_url": f"http://127.0.0.1:{port}"})


def cmd_desk_link(args) -> int:
    from bot import build_application
    from bot.domain.desk import issue_link, link_url, may_use_desk, member_for_link

    cfg = _load(args.config)
    minutes = args.minutes or cfg.desk.link_minutes
    if not 1 <= minutes <= 24 * 60:
        print("--minutes: between 1 and 1440", file=sys.stderr)
        return 2
    if args.url:
        try:
            cfg = cfg.model_copy(update={"desk": DeskConfig.model_validate(
                {**cfg.desk.model_dump(), "public_url": args.url})})
        except ValueError:
            print(f"--url: not an http(s) address: {args.url!r}", file=sys.stderr)
            return 2
    app = build_application(cfg)
    with app.store.transaction() as repos:
        member = member_for_link(repos, cfg, args.member_id)
        if member is None:
            print(f"no member {args.member_id!r} in any community of the config",
                  file=sys.stderr)
            return 1
        if not may_use_desk(member):
            print(f"{args.member_id} ({member.name}) has no desk role (grid_worker, "
                  "moderator, street_liaison or staff)", file=sys.stderr)
            return 1
        link = issue_link(repos, member, app.wall_clock(), minutes)
    if not cfg.desk.enabled:
        print("note: desk.enabled is false in this config; the link works on a server "
              "with the desk on (python -m bot demo turns it on)", file=sys.stderr)
    print(link_url(cfg, link.token))
    print(f"{member.name}: one use, valid until "
          f"{link.expires_at.astimezone(cfg.tz):%Y-%m-%d %H:%M}", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    from bot import create_app

    cfg = _load(args.config)
    app = create_app(cfg)
    print(f"Linli serving on http://{args.host}:{args.port}/", flush=True)
    _serve_forever(cfg, app, args.host, args.port, args.threads)
    return 0


def cmd_tick(args) -> int:
    from bot import build_application
    from scheduler.tick import run_tick

    cfg = _load(args.config)
    app = build_application(cfg)
    at = _parse_at(args.at, cfg, app.clock)
    print(run_tick(app, at).line(cfg.tz))
    return 0


def cmd_classify(args) -> int:
    from bot.nlp.cli import run_classify

    extra = None
    if args.config or args.community:
        cfg = _load(args.config)
        community = next((c for c in cfg.communities if c.id == args.community),
                         cfg.communities[0])
        extra = community.lexicon or None
    if not args.text and not args.file:
        print("classify: give TEXT or --file IN.jsonl", file=sys.stderr)
        return 2
    return run_classify(args.text, args.role, args.file, extra_lexicon=extra,
                        explain=args.explain)


def cmd_evaluate(args) -> int:
    from bot.nlp.cli import run_cross_validation, run_evaluate

    if args.cv is not None:
        return run_cross_validation(args.cv)
    if not args.file:
        print("evaluate: give FILE.jsonl or --cv K", file=sys.stderr)
        return 2
    return run_evaluate(args.file, show_errors=not args.quiet)


def cmd_train(args) -> int:
    from bot.nlp.cli import run_train

    return run_train(args.out)


def cmd_backup(args) -> int:
    from pathlib import Path

    from bot.clock import SystemClock
    from storage.backup import BackupError, backup_sqlite, pg_commands, sqlite_path

    cfg = _load(args.config)
    out = args.out or f"linli-backup-{SystemClock(cfg.tz)():%Y%m%d-%H%M%S}.db"
    try:
        if sqlite_path(cfg.database.url) is None:
            dump, _ = pg_commands(cfg.database.url, out.replace(".db", ".dump"))
            print(f"PostgreSQL: back up with\n  {dump}", file=sys.stderr)
            return 2
        pages = backup_sqlite(cfg.database.url, Path(out))
    except BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    print(f"backup: {out} ({pages} pages)")
    return 0


def cmd_restore(args) -> int:
    from pathlib import Path

    from storage.backup import BackupError, pg_commands, restore_sqlite, sqlite_path

    cfg = _load(args.config)
    try:
        if sqlite_path(cfg.database.url) is None:
            _, back = pg_commands(cfg.database.url, args.file)
            print(f"PostgreSQL: restore with\n  {back}", file=sys.stderr)
            return 2
        pages = restore_sqlite(cfg.database.url, Path(args.file))
    except BackupError as exc:
        print(f"restore: {exc}", file=sys.stderr)
        return 1
    print(f"restore: {args.file} -> {cfg.database.url} ({pages} pages); start the server "
          "(it brings the schema up to date)")
    return 0


def cmd_doctor(args) -> int:
    from bot.clock import SystemClock
    from bot.doctor import run_checks

    cfg = _load(args.config)
    checks = run_checks(cfg, str(resolve_config_path(args.config)), SystemClock(cfg.tz)())
    for check in checks:
        print(check.line())
    return 0 if all(c.ok for c in checks) else 1


def cmd_check_config(args) -> int:
    cfg = _load(args.config)
    groups = sum(len(c.groups) for c in cfg.communities)
    members = sum(len(c.members) for c in cfg.communities)
    print(f"{resolve_config_path(args.config)}: OK — {len(cfg.communities)} communities, "
          f"{groups} groups, {members} members")
    return 0


def cmd_report(args) -> int:
    from bot import build_application, exports

    try:
        year, month = (int(x) for x in args.period.split("-"))
        if not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        print(f"--period: expected YYYY-MM, got {args.period!r}", file=sys.stderr)
        return 2
    if args.format == "xlsx" and not args.out:
        print("--format xlsx needs --out FILE", file=sys.stderr)
        return 2
    cfg = _load(args.config)
    app = build_application(cfg)
    with app.store.transaction() as repos:
        reports = exports.monthly_reports(repos, cfg, year, month, app.now())
    if args.format == "xlsx":
        with open(args.out, "wb") as f:
            f.write(exports.to_xlsx(reports, cfg.tz))
        return 0
    text = {"md": lambda: exports.to_markdown(reports),
            "csv": lambda: exports.to_csv(reports, cfg.tz),
            "html": lambda: exports.to_html(reports, cfg.tz, app.now())}[args.format]()
    if args.out:
        # a BOM lets Excel on Windows read a CSV's Chinese as UTF-8
        encoding = "utf-8-sig" if args.format == "csv" else "utf-8"
        with open(args.out, "w", encoding=encoding, newline="") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_corrections(args) -> int:
    from bot import build_application
    from bot.domain.corrections import export

    cfg = _load(args.config)
    app = build_application(cfg)
    with app.store.transaction() as repos:
        lines = export(repos, args.community)
    with open(args.out, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"{len(lines)} corrections -> {args.out} (copy into bot/nlp/corpus/ and run "
          f"`python -m bot train`)")
    return 0


COMMANDS = {"demo": cmd_demo, "serve": cmd_serve, "tick": cmd_tick, "classify": cmd_classify,
            "evaluate": cmd_evaluate, "train": cmd_train, "corrections": cmd_corrections,
            "check-config": cmd_check_config, "report": cmd_report, "backup": cmd_backup,
            "restore": cmd_restore, "doctor": cmd_doctor, "desk-link": cmd_desk_link}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("demo", "serve", "tick"):
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return COMMANDS[args.command](args)
