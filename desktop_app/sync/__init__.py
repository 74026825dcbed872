"""Sync engine and remote stores (no Qt)."""
