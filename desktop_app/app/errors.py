"""The one exception type front ends turn into a message line or a dialog."""


class AppError(Exception):
    """Bad input or an unusable profile; ``str()`` is one plain sentence."""
