"""The check before the window: which libraries Qt's platform plugin lacks, and the one sentence that says so."""

from __future__ import annotations

from studio.ui.platform_check import (
    DEBIAN_PACKAGES,
    advice,
    debian_packages,
    diagnose,
    is_debian_like,
    missing_libraries,
    parse_ldd,
    platforms,
    plugin_path,
)

# ldd's own words for libqxcb.so on a Debian 12 machine without libxcb-icccm4 and libxcb-keysyms1.
LDD = """\
\tlinux-vdso.so.1 (0x00007ffc6a9f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f0c1a000000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f0c19ff0000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f0c1a400000)
"""
DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\n'


def test_ldd_output_gives_each_missing_library_once():
    assert parse_ldd(LDD) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert parse_ldd("\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x1)\n") == []


def test_debian_family_is_read_from_os_release():
    assert is_debian_like(DEBIAN) and is_debian_like(MINT) and is_debian_like("ID=ubuntu\nID_LIKE=debian\n")
    assert not is_debian_like(FEDORA) and not is_debian_like("")


def test_advice_is_one_sentence_with_the_apt_command_on_debian():
    text = advice("xcb", parse_ldd(LDD), debian=True)
    assert "libxcb-icccm.so.4 and libxcb-keysyms.so.1" in text
    assert "`sudo apt-get install libxcb-icccm4 libxcb-keysyms1`" in text
    assert text.endswith(".") and text.count(". ") == 0 and "\n" not in text


def test_advice_elsewhere_or_for_an_unknown_library_names_the_libraries():
    assert "apt-get" not in advice("xcb", ["libxcb-icccm.so.4"], debian=False)
    text = advice("xcb", ["libxcb-icccm.so.4", "libunheard-of.so.7"], debian=True)
    assert "libunheard-of.so.7" in text and "apt-get" not in text


def test_the_packages_the_issue_lists_are_all_in_the_table():
    issue = ("libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 "
             "libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libegl1 libgl1 libfontconfig1 libdbus-1-3").split()
    assert set(issue) <= set(DEBIAN_PACKAGES.values())
    assert debian_packages(["libGL.so.1", "libGLX.so.0", "libgthread-2.0.so.0", "libglib-2.0.so.0"]) == [
        "libgl1", "libglx0", "libglib2.0-0"]


def test_platforms_follow_qt_qpa_platform_and_the_session():
    assert platforms({}) == ["xcb"]
    assert platforms({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}) == ["wayland", "xcb"]
    assert platforms({"QT_QPA_PLATFORM": "offscreen"}) == ["offscreen"]
    assert platforms({"QT_QPA_PLATFORM": "wayland;xcb:option=1"}) == ["wayland", "xcb"]


def test_the_real_plugins_are_checked_with_the_real_ldd():
    # The suite itself runs on the offscreen plugin, so it must load here; xcb without DISPLAY never can.
    offscreen = plugin_path("offscreen")
    assert offscreen is not None and missing_libraries(offscreen) == []
    assert diagnose({"QT_QPA_PLATFORM": "offscreen"}) is None
    xcb = diagnose({"QT_QPA_PLATFORM": "xcb"}, os_release=DEBIAN)
    assert xcb is not None and xcb.startswith("GAN Studio cannot open its window:") and "\n" not in xcb
    assert diagnose({"QT_QPA_PLATFORM": "no-such-platform"}) is None  # Qt's own message is the best there
