"""Tidemark: offline-first notes and tasks for one person, synced through S3 or a folder."""

__version__ = "0.1.0"
