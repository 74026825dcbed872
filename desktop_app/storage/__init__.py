"""Local persistence on SQLite (no Qt, no network)."""

from desktop_app.storage.local_store import DB_NAME, LocalStore, StorageError

__all__ = ["DB_NAME", "LocalStore", "StorageError"]
