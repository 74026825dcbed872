"""The Debian package, built once per session and run from a `dpkg-deb -x` root.

`packaging/build.sh deb` builds the PyInstaller bundle and the .deb into a temporary
folder (PyInstaller's cache stays in build/pyinstaller-cache, so later sessions
only re-analyse); every test here then uses that one package. About a minute on
two cores, most of it PyInstaller.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

from desktop_app.sync.remote_config import RemoteConfig
from desktop_app.ui.main import DESKTOP_ID
from desktop_app.ui.system_libraries import DEBIAN_PACKAGES, debian_depends
from tests.desktop_tools import validate_desktop_entry, validate_metainfo

ROOT = Path(__file__).resolve().parents[1]
BUNDLE_GOAL_MB = 110
STARTUP_RATIO_GOAL = 1.2
# System libraries that only optional Qt plugins load, and that are not in Depends:
# the Wayland ones are there wherever a Wayland session runs, GTK 3 where the GTK
# theme can apply. Without them Qt uses X11 and its own theme.
OPTIONAL_LIBRARIES = re.compile(r"lib(wayland-[a-z]+|gtk-3|gdk-3)\.so")

pytestmark = pytest.mark.skipif(
    shutil.which("dpkg-deb") is None, reason="dpkg-deb is missing: not a Debian-based system"
)


@dataclass(frozen=True)
class Package:
    deb: Path
    root: Path  # the .deb unpacked with dpkg-deb -x
    build_log: str

    @property
    def bundle(self) -> Path:
        return self.root / "opt" / "tidemark"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Package:
    work = tmp_path_factory.mktemp("package")
    env = {
        **os.environ,
        "BUILD_DIR": str(work / "build"),
        "DIST_DIR": str(work / "dist"),
        "DEB_COMPRESSION": "none",
    }
    built = subprocess.run(
        [str(ROOT / "packaging" / "build.sh"), "deb"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (deb,) = (work / "dist").glob("*.deb")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "root")], check=True)
    shutil.rmtree(work / "build")  # 200 MB of bundle and PyInstaller work files
    return Package(deb, work / "root", built.stdout)


def run(package: Package, name: str, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """``/usr/bin/<name> args`` from the unpacked root, offscreen, on a profile in ``tmp``."""
    (tmp / "tmp").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "DESKTOP_APP_DATA_DIR": str(tmp / "profile"),
        "TMPDIR": str(tmp / "tmp"),
    }
    program = package.root / "usr" / "bin" / name
    return subprocess.run(
        [str(program), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_package_is_named_and_described_for_dpkg(package: Package) -> None:
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    version = metadata.version("tidemark")
    assert package.deb.name == f"tidemark_{version}_{arch}.deb"
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(package.deb), "Package", "Version", "Architecture", "Depends"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"Package: tidemark\nVersion: {version}\nArchitecture: {arch}\n" in fields
    assert f"Depends: {debian_depends()}\n" in fields


def test_depends_names_the_readme_s_system_libraries() -> None:
    # The README's apt-get line for a source install and the .deb's Depends are one list.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"sudo apt-get install (libxcb[^`]*?)\n```", readme, re.S)
    assert command is not None
    assert set(command[1].replace("\\", " ").split()) == set(DEBIAN_PACKAGES.values())
    assert set(DEBIAN_PACKAGES.values()) <= {
        name for field in debian_depends().split(", ") for name in field.split(" | ")
    }


def test_desktop_integration_files_are_installed(package: Package) -> None:
    root = package.root
    for name in ("tidemark", "desktop-app"):
        assert (root / "usr" / "bin" / name).resolve() == (package.bundle / "tidemark").resolve()
    assert (root / "usr/share/applications" / f"{DESKTOP_ID}.desktop").is_file()
    assert (root / "usr/share/metainfo" / f"{DESKTOP_ID}.metainfo.xml").is_file()
    icons = root / "usr/share/icons/hicolor"
    assert (icons / "scalable/apps" / f"{DESKTOP_ID}.svg").is_file()
    for size in (48, 128, 256):
        assert (icons / f"{size}x{size}/apps" / f"{DESKTOP_ID}.png").is_file()


def test_installed_desktop_entry_and_metainfo_validate(package: Package) -> None:
    entry = package.root / "usr/share/applications" / f"{DESKTOP_ID}.desktop"
    result = validate_desktop_entry(entry)
    assert result.returncode == 0, result.stdout + result.stderr
    result = validate_metainfo(package.root / "usr/share/metainfo" / f"{DESKTOP_ID}.metainfo.xml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_version_from_the_unpacked_package(package: Package, tmp_path: Path) -> None:
    result = run(package, "tidemark", "--version", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"desktop-app {metadata.version('tidemark')}"


def test_smoke_opens_the_bundled_window(package: Package, tmp_path: Path) -> None:
    result = run(package, "tidemark", "--smoke", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    assert list((tmp_path / "tmp").iterdir()) == []


def test_cli_round_trip_from_the_unpacked_package(package: Package, tmp_path: Path) -> None:
    added = run(package, "desktop-app", "add-task", "Buy milk", "--list", "Groceries", tmp=tmp_path)
    assert added.returncode == 0, added.stderr
    shown = run(package, "tidemark", "show", "--json", tmp=tmp_path)
    assert shown.returncode == 0, shown.stderr
    (task,) = json.loads(shown.stdout)["tasks"]
    assert (task["id"], task["title"], task["list"]) == (
        added.stdout.strip(),
        "Buy milk",
        "Groceries",
    )


def test_bundled_import_and_export_of_a_vault(package: Package, tmp_path: Path) -> None:
    # Front matter is read with PyYAML and tags with markdown-it: both must be bundled.
    vault = tmp_path / "vault" / "Projects"
    vault.mkdir(parents=True)
    (vault / "Quarterly plan.md").write_text(
        "---\ntags: [work]\naliases: [Q-plan]\n---\n# Q1\n\nSee #budget and `#include`.\n",
        encoding="utf-8",
    )
    imported = run(package, "tidemark", "import", str(tmp_path / "vault"), tmp=tmp_path)
    assert imported.returncode == 0, imported.stderr
    (note,) = json.loads(run(package, "tidemark", "show", "--json", tmp=tmp_path).stdout)["notes"]
    assert (note["title"], note["list"], sorted(note["tags"])) == (
        "Quarterly plan",
        "Projects",
        ["budget", "work"],
    )
    assert "aliases:" in note["body"]
    exported = run(
        package,
        "tidemark",
        "export",
        "--format",
        "markdown",
        "-o",
        str(tmp_path / "out"),
        tmp=tmp_path,
    )
    assert exported.returncode == 0, exported.stderr
    assert list((tmp_path / "out").rglob("Quarterly plan.md"))


def test_bundled_sync_talks_to_s3(
    package: Package, tmp_path: Path, s3_bucket: RemoteConfig
) -> None:
    # Only the s3/sts/sso models of botocore are bundled: a real round against moto.
    target = ["remote", f"s3://{s3_bucket.bucket}/vault", "--endpoint-url", s3_bucket.endpoint_url]
    for args in (target, ["add-task", "Synced"], ["sync"]):
        result = run(package, "tidemark", *args, tmp=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
    status = json.loads(run(package, "tidemark", "status", "--json", tmp=tmp_path).stdout)
    assert status["pending"] == 0


def test_every_bundled_binary_finds_its_libraries(package: Package) -> None:
    # With Depends installed (as here), nothing the bundle left out may be missing.
    missing = {}
    for path in package.bundle.rglob("*.so*"):
        if path.is_symlink():
            continue
        ldd = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False)
        lacking = set(re.findall(r"(\S+) => not found", ldd.stdout))
        if lacking := {lib for lib in lacking if not OPTIONAL_LIBRARIES.match(lib)}:
            missing[path.name] = sorted(lacking)
    assert not missing


def test_bundle_size_goal(package: Package) -> None:
    if "kept libicudata" in package.build_log:
        pytest.skip("ICU was not trimmed (apt-get install icu-devtools binutils gcc)")
    files = [p for p in package.bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    assert size_mb <= BUNDLE_GOAL_MB, f"{size_mb:.1f} MB: see packaging/bundle_report.py"
