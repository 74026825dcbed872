#!/bin/sh
# Build a one-folder bundle with PyInstaller: build/dist/tidemark/tidemark.
# PyInstaller is not a project dependency: this installs it into .venv first.
#   packaging/build.sh            build
#   packaging/build.sh --smoke    build, then start the bundled window offscreen once
set -eu
cd "$(dirname "$0")/.."
VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then
    echo "No $VENV yet: run ./dev test (or ./dev run) once to create it." >&2
    exit 1
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "pyinstaller>=6.10,<7"
"$VENV/bin/python" -m PyInstaller --noconfirm --clean \
    --distpath build/dist --workpath build/pyinstaller packaging/tidemark.spec
BUNDLE=build/dist/tidemark
cp packaging/io.github.tidemark.Tidemark.desktop resources/tidemark.svg "$BUNDLE/"
echo "Built $BUNDLE ($(du -sh "$BUNDLE" | cut -f1)). On Linux, install the launcher entry with:"
echo "  install -Dm644 $BUNDLE/io.github.tidemark.Tidemark.desktop ~/.local/share/applications/io.github.tidemark.Tidemark.desktop"
echo "  install -Dm644 $BUNDLE/tidemark.svg ~/.local/share/icons/hicolor/scalable/apps/tidemark.svg"
echo "and put $BUNDLE on PATH (or edit Exec= in the .desktop file)."

if [ "${1:-}" = "--smoke" ]; then
    # Open the window offscreen on a throwaway profile; after 3 s, Ctrl+C (SIGINT)
    # closes it the normal way, so a clean exit status means it started and quit.
    SMOKE=$(mktemp -d)
    if DESKTOP_APP_DATA_DIR="$SMOKE" QT_QPA_PLATFORM=offscreen \
        timeout --preserve-status -s INT -k 10 3 "$BUNDLE/tidemark"; then
        echo "Smoke test passed: the bundled window opened and closed."
    else
        echo "Smoke test failed (exit status $?)." >&2
        rm -rf "$SMOKE"
        exit 1
    fi
    rm -rf "$SMOKE"
fi
