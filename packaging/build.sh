#!/bin/sh
# Build Tidemark's one-folder bundle with PyInstaller, and from it a Debian package.
#   packaging/build.sh            the bundle: build/dist/tidemark/tidemark
#   packaging/build.sh --smoke    the bundle, then `tidemark --smoke` offscreen once
#   packaging/build.sh deb        the bundle, then dist/tidemark_<version>_<arch>.deb
# Needs .venv with the packaging extra (PyInstaller): .venv/bin/pip install -e '.[packaging]'
# (./dev test installs it). Nothing is downloaded here. The .deb needs dpkg-deb; a
# smaller ICU needs icu-devtools, binutils and gcc (packaging/trim_icu.py).
# BUILD_DIR and DIST_DIR move the output (tests/test_packaging.py builds in a temp dir);
# PyInstaller's cache goes to build/pyinstaller-cache, not to ~/.cache.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=.venv
BUILD_DIR=${BUILD_DIR:-build}
DIST_DIR=${DIST_DIR:-dist}
export PYINSTALLER_CONFIG_DIR="${PYINSTALLER_CONFIG_DIR:-$ROOT/build/pyinstaller-cache}"
APP_ID=io.github.tidemark.Tidemark
PY="$VENV/bin/python"

if [ ! -x "$PY" ] || ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
    echo "PyInstaller is not in $VENV: run ./dev test once, or $VENV/bin/pip install -e '.[packaging]'." >&2
    exit 1
fi
case "${1:-}" in
    "" | --smoke | deb) ;;
    *) echo "usage: packaging/build.sh [--smoke | deb]" >&2; exit 2 ;;
esac

"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$BUILD_DIR/dist" --workpath "$BUILD_DIR/pyinstaller" packaging/tidemark.spec
BUNDLE="$BUILD_DIR/dist/tidemark"
"$PY" packaging/trim_icu.py "$BUNDLE"
echo "Built $BUNDLE ($(du -sh "$BUNDLE" | cut -f1))."

if [ "${1:-}" = "--smoke" ]; then
    if QT_QPA_PLATFORM=offscreen "$BUNDLE/tidemark" --smoke; then
        echo "Smoke test passed: the bundled window opened, drew and closed."
    else
        echo "Smoke test failed (exit status $?)." >&2
        exit 1
    fi
fi
[ "${1:-}" = deb ] || exit 0

# --- the Debian package -------------------------------------------------------------
command -v dpkg-deb >/dev/null || { echo "dpkg-deb is missing (Debian's dpkg package)." >&2; exit 1; }
VERSION=$("$PY" -c 'from importlib.metadata import version; print(version("tidemark"))')
ARCH=$(dpkg --print-architecture)
# What Qt's X11/Wayland plugins load (the README's list), then what Python's own
# modules link to: the bundle carries no copies of system libraries (tidemark.spec).
DEPENDS=$("$PY" -c 'from desktop_app.ui.system_libraries import debian_depends; print(debian_depends())')
STAGE="$BUILD_DIR/deb-root"
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/doc/tidemark"
cp -a "$BUNDLE" "$STAGE/opt/tidemark"
# One program, two names: the window without a command, the CLI with one.
ln -s ../../opt/tidemark/tidemark "$STAGE/usr/bin/tidemark"
ln -s ../../opt/tidemark/tidemark "$STAGE/usr/bin/desktop-app"
install -Dm644 "packaging/$APP_ID.desktop" "$STAGE/usr/share/applications/$APP_ID.desktop"
install -Dm644 "resources/$APP_ID.metainfo.xml" "$STAGE/usr/share/metainfo/$APP_ID.metainfo.xml"
install -Dm644 resources/tidemark.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/$APP_ID.svg"
for size in 48 128 256; do
    install -Dm644 "resources/icons/tidemark-$size.png" \
        "$STAGE/usr/share/icons/hicolor/${size}x$size/apps/$APP_ID.png"
done
printf 'Tidemark\nLicense: MIT (see pyproject.toml)\n' > "$STAGE/usr/share/doc/tidemark/copyright"
cat > "$STAGE/DEBIAN/control" <<EOF
Package: tidemark
Version: $VERSION
Architecture: $ARCH
Maintainer: Tidemark developers <tidemark@users.noreply.github.com>
Installed-Size: $(du -sk "$STAGE" | cut -f1)
Depends: $DEPENDS
Section: utils
Priority: optional
Homepage: https://github.com/tidemark/tidemark
Description: offline-first notes and tasks, synced through S3 or a folder
 Tidemark keeps one person's notes and tasks on several computers. It opens
 instantly from local data and works offline; with an S3 bucket or a shared
 folder it syncs in the background. The tidemark (or desktop-app) command opens
 the window, or with a subcommand works from the command line.
EOF
mkdir -p "$DIST_DIR"
DEB="$DIST_DIR/tidemark_${VERSION}_$ARCH.deb"
# xz for a small download; tests pass DEB_COMPRESSION=none (xz of 100 MB takes minutes).
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$STAGE" "$DEB" >/dev/null
case "$DEB" in /*) SHOWN=$DEB ;; *) SHOWN=./$DEB ;; esac
echo "Built $DEB ($(du -h "$DEB" | cut -f1)); install it with: sudo apt install $SHOWN"
