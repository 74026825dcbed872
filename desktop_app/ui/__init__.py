"""The Qt front end: the only layer that imports Qt.

``desktop_app.ui.main.run(data_dir)`` opens the window; ``MainWindow`` wraps
one ``App``; models in ``desktop_app.ui.models`` read the immutable state.
Importing this package first guards against a PySide6 6.12.0 reference bug
(see ``qt_fixes``) before any signal is emitted.
"""

from desktop_app.ui import qt_fixes

__all__ = ["qt_fixes"]
