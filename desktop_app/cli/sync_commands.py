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
    p.add_argument(
        "--encrypt",
        action="store_true",
        help="encrypt the vault end to end with a passphrase (a new, empty location)",
    )
    p.set_defaults(func=_remote)

    p = subparsers.add_parser(
        "passphrase",
        help="change the passphrase of the encrypted vault",
        description="Wraps the vault key under the new passphrase; nothing else is "
        "re-encrypted. Other devices are asked for the new passphrase.",
    )
    p.set_defaults(func=_passphrase)

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
    import msgspec

    from desktop_app.app.syncing import (
        SYNC_ERRORS,
        check_remote,
        get_remote,
        remote_is_sealed,
        set_remote,
    )
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
            encrypted=args.encrypt,
        )
    except RemoteConfigError as exc:
        raise AppError(str(exc)) from None
    try:
        note = check_remote(config)  # before saving: a remote that cannot work is not set
    except SYNC_ERRORS as exc:
        raise AppError(str(exc)) from None
    if not config.encrypted and remote_is_sealed(config):
        config = msgspec.structs.replace(config, encrypted=True)
        print("The vault there is encrypted; its passphrase is asked for at the first sync.")
    set_remote(app, config)
    encrypted = " (encrypted)" if config.encrypted else ""
    print(f"Remote set to {config.describe()}{encrypted}; run `desktop-app sync` to sync now.")
    if note:
        print(f"note: {note}.", file=sys.stderr)
    return 0


def _sync(args: argparse.Namespace, app: App | None) -> int:
    from desktop_app.app.syncing import SYNC_ERRORS, run_round

    assert app is not None
    try:
        report = run_round(app.local, app.clock, prompt=passphrase_prompt)
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


def passphrase_prompt(label: str, confirm: bool) -> str:
    """The passphrase from the terminal (getpass, never echoed or in argv); asked
    twice when it is a new one."""
    passphrase = _prompt(label, secret=True)
    if not passphrase:
        raise AppError("the passphrase cannot be empty")
    if confirm and _prompt("Repeat the passphrase", secret=True) != passphrase:
        raise AppError("the two passphrases differ; nothing was changed")
    return passphrase


def _passphrase(args: argparse.Namespace, app: App | None) -> int:
    from desktop_app.app.encryption import change_passphrase
    from desktop_app.app.syncing import SYNC_ERRORS, get_remote
    from desktop_app.sync.credentials import load_credentials
    from desktop_app.sync.remote_config import open_remote

    assert app is not None
    config = get_remote(app.local)
    if config is None or not config.encrypted:
        raise AppError("the remote is not an encrypted vault: `remote ... --encrypt` starts one")
    try:
        remote = open_remote(config, credentials=load_credentials(config))
        number = change_passphrase(app.local, config, remote, passphrase_prompt)
    except SYNC_ERRORS as exc:
        raise AppError(str(exc)) from None
    print(f"Changed the passphrase (key object {number}); other devices will ask for the new one.")
    return 0


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
    from desktop_app.app.syncing import SYNC_ERRORS, get_remote, open_configured
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
        remote = open_configured(app.local, config, prompt=passphrase_prompt)
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
