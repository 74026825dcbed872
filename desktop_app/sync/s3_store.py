"""The remote store on S3 (or anything speaking its API: MinIO, R2, moto).

One botocore client per store: the same client ``boto3.client`` returns, made
without boto3's Session so stores can share a parsed service model (see
``_shared_loader``). Clients are thread-safe, so the engine may pull with a
thread pool. Every response's ``Date`` header goes to ``on_server_time``: S3 is
the clock the whole vault agrees on.

A flaky network costs time, never data. botocore's *standard* retry mode retries
5xx, SlowDown and other throttling, timeouts and connection resets with
exponential backoff and full jitter (50 ms base, 1 s for throttling), up to
``MAX_ATTEMPTS``; a body cut off mid-download is fetched again here (botocore
has returned by then). Every call we make is safe to repeat: reads and deletes
are idempotent, and a create-only PUT whose answer was lost finds its own bytes
on the retry's 412 (``put_if_absent``). What still fails is ``RemoteUnavailable``:
the round stops, and the front end tries again later. Timeouts are short so an
offline laptop knows within seconds, not minutes.

Error messages are one plain sentence built from the error code, never from
request details, so no secret or signature can leak into a dialog or a log.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import botocore.exceptions as bce
import botocore.loaders
import botocore.session
import urllib3.exceptions
from botocore.config import Config

from desktop_app.sync import remote
from desktop_app.sync.credentials import Credentials
from desktop_app.sync.folder_store import check_key, valid_key
from desktop_app.sync.remote import (
    ClockSkewError,
    RemoteAuthError,
    RemoteEntry,
    RemoteError,
    RemoteNotFound,
    RemoteUnavailable,
    RemoteUnreachable,
    ServerTimeObserver,
    check_size,
)
from desktop_app.sync.remote_config import RemoteConfigError, bucket_problem, clean_prefix

CONNECT_TIMEOUT_S = 4
READ_TIMEOUT_S = 20
# First try + 4 retries. Standard mode waits rand(0, 1) x 50 ms x 2^i between them
# (about 0.4 s at most in all), or 1 s x 2^i for SlowDown and other throttling (15 s).
MAX_ATTEMPTS = 5
RETRY_MODE = "standard"
# A download cut off mid-body is asked for again this many times in all, after
# rand(0, 1) x BODY_BACKOFF_S x 2^i (botocore retries only until the headers arrive).
BODY_ATTEMPTS = MAX_ATTEMPTS
BODY_BACKOFF_S = 0.05
# A 409 ConditionalRequestConflict on a create means another write to the key is in
# flight and may never complete: we ask the same key again until S3 settles it
# (200 or 412). Backoff doubles from CONFLICT_BACKOFF_S up to CONFLICT_BACKOFF_MAX_S,
# about 5 s in all before the store is declared unavailable for now.
CONFLICT_ATTEMPTS = 10
CONFLICT_BACKOFF_S = 0.05
CONFLICT_BACKOFF_MAX_S = 1.0

log = logging.getLogger(__name__)

_AUTH_REASONS = {
    "InvalidAccessKeyId": "the access key ID is not known to S3",
    "SignatureDoesNotMatch": "the secret access key does not match the access key ID",
    "AccessDenied": "this key is not allowed to use the bucket (access denied)",
    "AllAccessDisabled": "all access to this bucket has been disabled",
    "AccountProblem": "the AWS account has a problem that blocks access",
    "ExpiredToken": "the session token has expired",
    "TokenRefreshRequired": "the session token has expired",
    "InvalidToken": "the session token is not valid",
    "InvalidSecurity": "the security credentials are not valid",
}
_REGION_CODES = {
    "PermanentRedirect",
    "AuthorizationHeaderMalformed",
    "IllegalLocationConstraintException",
}
_BUSY_CODES = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling"}
_NO_CREDENTIALS = (
    bce.NoCredentialsError,
    bce.PartialCredentialsError,
    bce.CredentialRetrievalError,
    bce.TokenRetrievalError,
    bce.ProfileNotFound,
)
_UNREACHABLE = (bce.ConnectionError, bce.HTTPClientError, bce.IncompleteReadError)


class S3RemoteStore:
    """``RemoteStore`` on one bucket; keys are relative to ``prefix``."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        credentials: Credentials | None = None,
        on_server_time: ServerTimeObserver | None = None,
        max_pool_connections: int = 32,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        read_timeout: float = READ_TIMEOUT_S,
    ) -> None:
        problem = bucket_problem(bucket)
        if problem:
            raise RemoteConfigError(problem)
        self.bucket = bucket
        self.prefix = clean_prefix(prefix)
        self.endpoint_url = endpoint_url
        self.on_server_time = on_server_time
        self._root = f"{self.prefix}/" if self.prefix else ""
        self._count = 0
        self._count_lock = threading.Lock()
        self._local = threading.local()
        self.read_timeout = read_timeout
        config: dict[str, Any] = {
            "connect_timeout": connect_timeout,
            "read_timeout": read_timeout,
            # total_max_attempts counts the first try; botocore's max_attempts would not.
            "retries": {"mode": RETRY_MODE, "total_max_attempts": MAX_ATTEMPTS},
            "max_pool_connections": max_pool_connections,
        }
        if endpoint_url:
            # S3-compatible servers rarely do virtual-host buckets or the newer default checksums.
            config["s3"] = {"addressing_style": "path"}
            config["request_checksum_calculation"] = "when_required"
            config["response_checksum_validation"] = "when_required"
        try:
            session = botocore.session.Session()
            session.register_component("data_loader", _shared_loader())
            self._client = session.create_client(
                "s3",
                region_name=region,
                endpoint_url=endpoint_url,
                aws_access_key_id=credentials.access_key_id if credentials else None,
                aws_secret_access_key=credentials.secret_access_key if credentials else None,
                aws_session_token=credentials.session_token if credentials else None,
                config=Config(**config),
            )
        except bce.BotoCoreError as exc:
            raise self._botocore_error(exc) from exc
        self._client.meta.events.register("before-send.s3", self._before_send)

    # -- bookkeeping --------------------------------------------------------------

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, retries included (counted by a ``before-send`` hook)."""
        return self._count

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def __repr__(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"S3RemoteStore({self.describe()}{where})"

    def close(self) -> None:
        """Release pooled connections."""
        self._client.close()

    def _before_send(self, **_: Any) -> None:
        with self._count_lock:
            self._count += 1
        # The last attempt's send time, so a retried call still gives a tight round trip.
        self._local.sent = time.time()

    # -- the RemoteStore interface ------------------------------------------------

    def list(self, prefix: str, start_after: str = "") -> list[RemoteEntry]:
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self._root + prefix}
        if start_after:
            params["StartAfter"] = self._root + start_after
        entries: list[RemoteEntry] = []
        last = ""  # S3 lists in key order: a page that does not move past this never ends
        while True:
            try:
                response = self._call(self._client.list_objects_v2, **params)
            except bce.ClientError as exc:
                raise self._client_error(exc) from exc
            keys = [item["Key"] for item in response.get("Contents", ())]
            for item in response.get("Contents", ()):
                key = item["Key"][len(self._root) :]
                if valid_key(key):  # skip console "folder/" markers and the like
                    modified = item["LastModified"].astimezone(UTC)
                    entries.append(RemoteEntry(key, modified, item.get("ETag", "")))
            if not response.get("IsTruncated"):
                break
            if not keys or keys[0] <= last or not response.get("NextContinuationToken"):
                raise RemoteError(
                    f"{self._where()} sent a listing of {self.describe()} that does not "
                    "advance, so it would never end; it was stopped."
                )
            last = keys[-1]
            params["ContinuationToken"] = response["NextContinuationToken"]
        entries.sort(key=lambda entry: entry.key)
        return entries

    def get(self, key: str) -> bytes:
        full = self._root + check_key(key)
        for attempt in range(BODY_ATTEMPTS):
            if attempt:
                time.sleep(random.random() * BODY_BACKOFF_S * 2 ** (attempt - 1))
            try:
                response = self._call(self._client.get_object, Bucket=self.bucket, Key=full)
            except bce.ClientError as exc:
                if _code(exc) in ("NoSuchKey", "404"):
                    raise RemoteNotFound(f"{key} does not exist in {self.describe()}") from None
                raise self._client_error(exc) from exc
            body = response["Body"]
            try:
                length = response.get("ContentLength")
                check_size(key, int(length or 0), self.describe())
                data = _read_bounded(body)
                check_size(key, len(data), self.describe())
                if length is not None and len(data) != length:
                    raise bce.IncompleteReadError(actual_bytes=len(data), expected_bytes=length)
                return data
            except (bce.BotoCoreError, OSError, urllib3.exceptions.HTTPError) as exc:
                log.info("the download of %s was cut off (attempt %d)", key, attempt + 1)
                cut_off = exc
            finally:
                body.close()
        raise RemoteUnavailable(
            f"cannot reach {self._where()} properly right now: the download of {key} was "
            f"cut off {BODY_ATTEMPTS} times; it will be retried later."
        ) from cut_off

    def put_if_absent(self, key: str, data: bytes) -> bool:
        full = self._root + check_key(key)
        retried = False  # any attempt after the first may collide with our own earlier one
        for attempt in range(CONFLICT_ATTEMPTS):
            if attempt:
                time.sleep(_conflict_delay(attempt))
            try:
                self._call(
                    self._client.put_object,
                    Bucket=self.bucket,
                    Key=full,
                    Body=data,
                    IfNoneMatch="*",
                )
            except bce.ClientError as exc:
                metadata = exc.response.get("ResponseMetadata", {})
                retried = retried or attempt > 0 or bool(metadata.get("RetryAttempts", 0))
                outcome = _create_outcome(exc)
                if outcome == "conflict":
                    continue
                if outcome == "unsupported":
                    raise RemoteError(
                        f"{self._where()} does not support create-only writes (conditional PUT "
                        "with If-None-Match: *), which Tidemark needs so that devices never "
                        "overwrite each other's changes; see docs/s3-compatibility.md."
                    ) from exc
                if outcome != "exists":
                    raise self._client_error(exc) from exc
                if retried:
                    # A retry may have collided with our own earlier attempt, which the
                    # server did store before its answer was lost: then the key is ours.
                    try:
                        return self.get(key) == data
                    except RemoteNotFound:
                        return False
                return False
            return True
        raise RemoteUnavailable(
            f"{self._where()} kept answering that another write to {key} is in progress "
            "(409 ConditionalRequestConflict): it will be retried later."
        )

    def delete(self, key: str) -> None:
        try:
            full = self._root + check_key(key)
            self._call(self._client.delete_object, Bucket=self.bucket, Key=full)
        except bce.ClientError as exc:
            if _code(exc) in ("NoSuchKey", "404"):
                return
            raise self._client_error(exc) from exc

    # -- internals ----------------------------------------------------------------

    def _call(self, method: Callable[..., dict[str, Any]], **params: Any) -> dict[str, Any]:
        """Run one API call, report the server's clock; ClientError passes through."""
        self._local.sent = started = time.time()
        try:
            response = method(**params)
        except bce.ClientError as exc:
            self._observe(exc.response.get("ResponseMetadata", {}), started)
            raise
        except bce.BotoCoreError as exc:
            raise self._botocore_error(exc) from exc
        self._observe(response.get("ResponseMetadata", {}), started)
        return response

    def _observe(self, metadata: dict[str, Any], started: float) -> None:
        received = time.time()
        if self.on_server_time is None:
            return
        header = metadata.get("HTTPHeaders", {}).get("date")
        if not header:
            return
        try:
            server_time = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return
        if server_time.tzinfo is None:
            server_time = server_time.replace(tzinfo=UTC)
        sent = getattr(self._local, "sent", started)
        try:
            self.on_server_time(server_time, sent, received)
        except Exception:  # a clock bug must not turn a stored update into a "failure"
            log.exception("the server-time observer failed")

    def _where(self) -> str:
        return f"S3 at {self.endpoint_url}" if self.endpoint_url else "Amazon S3"

    def _botocore_error(self, exc: bce.BotoCoreError) -> RemoteError:
        if isinstance(exc, _NO_CREDENTIALS):
            return RemoteAuthError(
                f"No usable S3 credentials were found for bucket {self.bucket}: save them in "
                "Tidemark, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or an AWS profile."
            )
        if isinstance(exc, bce.SSLError):
            return RemoteUnavailable(
                f"cannot reach {self._where()} securely: the TLS connection failed "
                "(check the network, a proxy, or the computer's date)."
            )
        if isinstance(exc, bce.ConnectTimeoutError):
            return RemoteUnreachable(
                f"cannot reach {self._where()}: the connection timed out (are you offline?)."
            )
        if isinstance(exc, bce.ReadTimeoutError):
            return RemoteUnavailable(
                f"cannot reach {self._where()}: it did not answer within "
                f"{self.read_timeout:g} seconds."
            )
        if isinstance(exc, _UNREACHABLE):
            return RemoteUnreachable(
                f"cannot reach {self._where()}: the connection failed (are you offline, "
                "or is the server down?)."
            )
        if isinstance(exc, bce.NoRegionError):
            return RemoteError(f"S3 needs a region for bucket {self.bucket}: set one.")
        return RemoteError(f"the S3 request on {self.describe()} failed ({type(exc).__name__}).")

    def _client_error(self, exc: bce.ClientError) -> RemoteError:
        code = _code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _AUTH_REASONS or (status == 403 and code != "RequestTimeTooSkewed"):
            reason = _AUTH_REASONS.get(code, "access was refused")
            return RemoteAuthError(
                f"S3 refused the credentials for bucket {self.bucket}: {reason}."
            )
        if code == "RequestTimeTooSkewed":
            return ClockSkewError(
                "S3 refused the request because this computer's clock is off by more than "
                "15 minutes: turn on automatic date and time in your system settings."
            )
        if code == "NoSuchBucket":
            at = f" at {self.endpoint_url}" if self.endpoint_url else ""
            return RemoteError(
                f"the S3 bucket {self.bucket}{at} does not exist: check the name or create it."
            )
        if code in _REGION_CODES or status == 301:
            return RemoteError(
                f"the S3 bucket {self.bucket} is in a different region: set its region."
            )
        if code in _BUSY_CODES or (status is not None and (status >= 500 or status == 429)):
            return RemoteUnavailable(
                f"cannot reach {self._where()} properly right now ({code or status}): "
                "it will be retried later."
            )
        return RemoteError(f"S3 refused the request on {self.describe()} ({code or status}).")


@functools.cache
def _shared_loader() -> botocore.loaders.Loader:
    """One botocore data loader for every store: parsing S3's service model costs
    ~0.1 s, and the app opens a store per sync round. (boto3's Session would append
    to a shared loader's search path each time, so we use botocore's directly.)"""
    return botocore.loaders.create_loader()


def _read_bounded(body: Any) -> bytes:
    """The whole body, but never more than ``MAX_OBJECT_BYTES + 1`` bytes of it.

    Bounded even if the server lied about the length or streamed it chunked for
    ever. Read to the end: botocore checks Content-Length only on the read that
    finds the end, and a single ``read(n)`` that a dropped connection cut short
    returns the partial bytes as if they were all (a torn object would then be
    quarantined on this device alone).
    """
    chunks: list[bytes] = []
    left = remote.MAX_OBJECT_BYTES + 1
    while left > 0:
        chunk = body.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _create_outcome(exc: bce.ClientError) -> str:
    """How a refused create-only PUT ended: "exists" (412), "conflict" (409),
    "unsupported" (501: the server does not do conditional writes), or "error"."""
    code = _code(exc)
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code == "NotImplemented" or status == 501:
        return "unsupported"
    if code in ("ConditionalRequestConflict", "OperationAborted") or (status == 409 and not code):
        return "conflict"
    if code == "PreconditionFailed" or status == 412:
        return "exists"
    return "error"


def _conflict_delay(attempt: int) -> float:
    """Seconds to wait before conflict retry ``attempt`` (1, 2, ...): doubling, capped."""
    return min(CONFLICT_BACKOFF_MAX_S, CONFLICT_BACKOFF_S * 2 ** (attempt - 1))


def _code(exc: bce.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
