"""The application engine without a window: what the CLI and the GUI both drive."""

from desktop_app.app.engine import UNSET, App
from desktop_app.app.errors import AppError

__all__ = ["UNSET", "App", "AppError"]
