"""Sync commands: ``remote``, ``sync``, ``status``, ``login``, ``rollup``.

Each failure is one plain line (the remote's own words translated by the
store) and a non-zero exit; a failed round leaves local state as it was, since
every local change of a round is one SQLite transaction.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from desktop_app.app import App, AppError
from desktop_app.cli.common import UsageError

# The sync machinery (boto3, keyring) is imported inside the handlers: every
# other command starts faster without it.
DEFAULT_RETENTION_DAYS = 90


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "remote",
        help="choose where to sync: s3://BUCKET[/PREFIX], folder PATH, or none",
        description="Without arguments, shows the current remote.",
    )
    p.add_argument("target", nargs="?", help="s3://BUCKET[/PREFIX], folder, or none")
    p.add_argument("path", nargs="?", help="the folder, with `remote folder PATH`")
    p.add_argument("--endpoint-url", metavar="URL", help="an S3-compatible server (MinIO, R2...)")
    p.add_argument("--region", metavar="REGION", help="the bucket's region")
    p.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="accept a plain http:// endpoint on another computer (notes travel unencrypted)",
    )
    p.set_defaults(func=_remote)

    p = subparsers.add_parser("sync", help="one sync round: pull, then push")
    p.set_defaults(func=_sync)

    p = subparsers.add_parser("status", help="pending changes, last sync, remote, clock offset")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_status, read_only=True)

    p = subparsers.add_parser(
        "login",
        help="save S3 credentials for the remote in the OS keyring",
        description="Prompts for the access key ID and the secret access key. Without a "
        "saved key pair, boto3's standard chain (environment variables, AWS profiles) is used.",
    )
    p.set_defaults(func=_login)

    p = subparsers.add_parser(
        "rollup", help="fold committed updates into a new snapshot and prune old ones"
    )
    p.add_argument(
        "--retention-days",
        default=DEFAULT_RETENTION_DAYS,
        metavar="DAYS",
        help=f"keep updates this long after they are folded (default {DEFAULT_RETENTION_DAYS})",
    )
    p.set_defaults(func=_rollup)


def _remote(args: argparse.Namespace, app: App | None) -> int:
    from desktop_app.app.syncing import SYNC_ERRORS, check_remote, get_remote, set_remote
    from desktop_app.sync.remote_config import RemoteConfigError, parse_remote

    assert app is not None
    if args.target is None:
        config = get_remote(app.local)
        print(config.describe() if config else "no remote (local only)")
        return 0
    if args.target == "none":
        if args.path or args.endpoint_url or args.region or args.allow_insecure_http:
            raise UsageError("`remote none` takes no other arguments")
        set_remote(app, None)
        print("Sync is off; everything stays on this computer.")
        return 0
    try:
        config = parse_remote(
            args.target,
            args.path,
            endpoint_url=args.endpoint_url,
            region=args.region,
            allow_insecure_http=args.allow_insecure_http,
        )
    except RemoteConfigError as exc:
        raise AppError(str(exc)) from None
    try:
        note = check_remote(config)  # before saving: a remote that cannot work is not set
    except SYNC_ERRORS as exc:
        raise AppError(str(exc)) from None
    set_remote(app, config)
    print(f"Remote set to {config.describe()}; run `desktop-app sync` to sync now.")
    if note:
        print(f"note: {note}.", file=sys.stderr)
    return 0


def _sync(args: argparse.Namespace, app: App | None) -> int:
    from desktop_app.app.syncing import SYNC_ERRORS, run_round

    assert app is not None
    try:
        report = run_round(app.local, app.clock)
    except SYNC_ERRORS as exc:
        raise AppError(str(exc)) from None
    app.reload_view()
    print(report.summary().capitalize() + ".")
    if report.clock_warning:
        print(f"warning: {report.clock_warning}", file=sys.stderr)
    return 0


def _status(args: argparse.Namespace, app: App | None) -> int:
    from desktop_app.app.syncing import status

    assert app is not None
    info = status(app)
    if args.json:
        print(json.dumps(info, sort_keys=True, ensure_ascii=False))
        return 0
    print(f"Remote:        {info['remote'] or 'none (local only)'}")
    print(f"Pending:       {info['pending']} change(s) not yet confirmed by the remote")
    print(f"Last sync:     {info['last_sync'] or 'never'}")
    print(f"Clock offset:  {info['clock_offset_s']:+.1f} s")
    return 0


def _prompt(label: str, secret: bool = False) -> str:
    """A prompt on a terminal; a plain line from stdin when piped (scripts, tests)."""
    if sys.stdin.isatty():
        return getpass.getpass(f"{label}: ") if secret else input(f"{label}: ")
    line = sys.stdin.readline()
    if not line:
        raise AppError(f"no {label.lower()} given")
    return line.rstrip("\n")


def _login(args: argparse.Namespace, app: App | None) -> int:
    from desktop_app.app.syncing import SYNC_ERRORS, get_remote
    from desktop_app.sync.credentials import save_credentials

    assert app is not None
    config = get_remote(app.local)
    if config is None or config.kind != "s3":
        raise AppError("set an S3 remote first: desktop-app remote s3://BUCKET")
    key_id = _prompt("Access key ID")
    secret = _prompt("Secret access key", secret=True)
    try:
        save_credentials(config, key_id, secret)
    except SYNC_ERRORS as exc:
        raise AppError(str(exc)) from None
    print(f"Saved the credentials for {config.describe()} in the system keyring.")
    return 0


def _rollup(args: argparse.Namespace, app: App | None) -> int:
    from desktop_app.app.syncing import SYNC_ERRORS, get_remote
    from desktop_app.sync.credentials import load_credentials
    from desktop_app.sync.remote_config import open_remote
    from desktop_app.sync.retention import retention_days
    from desktop_app.sync.rollup import rollup

    assert app is not None
    config = get_remote(app.local)
    if config is None:
        raise AppError("no remote is set; use `desktop-app remote ...` first")
    try:
        retention = retention_days(args.retention_days)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        remote = open_remote(config, credentials=load_credentials(config))
        report = rollup(
            remote,
            retention=retention,
            now_ms=app.clock.now_ms,
            vault_id=app.local.meta("vault_id"),
        )
    except SYNC_ERRORS as exc:
        raise AppError(str(exc)) from None
    print(report.summary().capitalize() + ".")
    return 0
