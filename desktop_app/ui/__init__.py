"""The Qt front end: the only layer that imports Qt.

``desktop_app.ui.main.run(data_dir)`` opens the window; ``MainWindow`` wraps
one ``App``; models in ``desktop_app.ui.models`` read the immutable state.
Importing this package first makes PySide's import hook cheap for every module
imported after it (``feature_hook``), and guards against a PySide6 6.12.0
reference bug (see ``qt_fixes``) before any signal is emitted.
"""

from desktop_app.ui import feature_hook, qt_fixes

__all__ = ["feature_hook", "qt_fixes"]
