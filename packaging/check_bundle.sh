#!/usr/bin/env bash
# Start the one-folder bundle under Xvfb with no Python on its PATH, let it open the default model, export a
# picture to the gallery (Ctrl+E, as a painter would) and check the picture. One command:
#
#   packaging/check_bundle.sh [EXECUTABLE]      (default: dist/gan-studio/gan-studio; `make bundle` first;
#                                               .venv/bin/gan-studio gives the same figures for an install)
#
# The bundle runs with an empty environment (env -i) but HOME (a fresh temporary one), DISPLAY and a PATH that
# holds only `ldd`, so nothing of the machine's Python can be used; its libpython must come from the bundle.
# Prints the bundle's size, the seconds to the window and to the exported picture (a fresh HOME: no cached ONNX
# graph, as on a first start; CHECK_HOME=DIR keeps one, so a second run shows a later start), and exits
# non-zero if any check fails. Needs Xvfb and xdotool (installed with apt-get when
# run as root on Debian/Ubuntu).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exe=$(realpath "${1:-$root/dist/gan-studio/gan-studio}")
limit=${LIMIT_S:-600}
[ -x "$exe" ] || { echo "$exe: no bundle there; build it with \`make bundle\`." >&2; exit 1; }
if ! command -v Xvfb >/dev/null || ! command -v xdotool >/dev/null; then
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "install Xvfb and xdotool first" >&2; exit 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends xvfb xdotool >/dev/null
fi

work=$(mktemp -d)
app_pid="" xvfb_pid=""
cleanup() {
    local status=$?
    if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; fi
    if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/app.log" ] && tail -n 20 "$work/app.log" >&2; exit 1; }

display=":$((90 + RANDOM % 500))"
Xvfb "$display" -screen 0 1400x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
export DISPLAY=$display
for _ in $(seq 50); do xdotool getmouselocation >/dev/null 2>&1 && break; sleep 0.1; done

home=${CHECK_HOME:-$work/home}
mkdir -p "$home" "$work/bin"
ln -s "$(command -v ldd)" "$work/bin/ldd"  # the platform check's only tool
for py in python3 python; do (PATH="$work/bin"; ! command -v "$py" >/dev/null) || fail "$py is on the bundle's PATH"; done

start=$(date +%s%N)
env -i HOME="$home" DISPLAY="$display" PATH="$work/bin" "$exe" >"$work/app.log" 2>&1 &
app_pid=$!
elapsed() { local ms=$(( ($(date +%s%N) - start) / 1000000 )); printf '%d.%01d' $((ms / 1000)) $((ms % 1000 / 100)); }

window=""
while [ -z "$window" ]; do
    kill -0 "$app_pid" 2>/dev/null || fail "the bundle exited before showing a window"
    [ "$(elapsed | cut -d. -f1)" -lt "$limit" ] || fail "no window after ${limit}s"
    window=$(xdotool search --onlyvisible --name '^GAN Studio' 2>/dev/null | head -n 1 || true)
    sleep 0.2
done
window_s=$(elapsed)
if [ -d "$(dirname "$exe")/_internal" ]; then  # (a venv's gan-studio may be checked too, for comparison)
    grep -q "$(dirname "$exe")/_internal/libpython" "/proc/$app_pid/maps" || fail "libpython is not the bundle's own"
fi

gallery="$home/Pictures/GAN Studio"
before=$(ls "$gallery"/*.png 2>/dev/null || true)
png=""
while [ -z "$png" ]; do
    kill -0 "$app_pid" 2>/dev/null || fail "the bundle exited before exporting"
    [ "$(elapsed | cut -d. -f1)" -lt "$limit" ] || fail "no picture exported after ${limit}s"
    xdotool windowfocus --sync "$window" key ctrl+e 2>/dev/null || true  # ignored until the model is open
    sleep 1
    png=$(ls "$gallery"/*.png 2>/dev/null | grep -vxF -- "$before" | head -n 1 || true)
done
export_s=$(elapsed)
sleep 1  # the sidecar is written right after the PNG

# The picture: a PNG of the default model's size, with its recipe (chunk and sidecar), not a flat field.
size=$(grep -m 1 -o '"resolution": [0-9]*' "$root/studio/models/default.json" | grep -o '[0-9]*$')
[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$png is not a PNG"
dims=$(od -An -tu1 -j 16 -N 8 "$png" | awk '{print $3*256+$4 "x" $7*256+$8}')
[ "$dims" = "${size}x${size}" ] || fail "$png is $dims, the default model paints ${size}x${size}"
grep -q "gan-studio-recipe" "$png" || fail "$png carries no recipe chunk"
grep -q '"model_hash"' "${png%.png}.json" || fail "no recipe beside $png"
bytes=$(stat -c %s "$png")
[ "$bytes" -gt $((size * size / 2)) ] || fail "$png is $bytes bytes: a flat picture, not a painting"

! grep -q "falling back" "$work/app.log" || fail "the live preview did not run on onnxruntime"

xdotool windowfocus --sync "$window" key ctrl+q 2>/dev/null || true  # quit as a painter would (no autosave left)
for _ in $(seq 100); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$app_pid" 2>/dev/null || fail "the bundle did not quit on Ctrl+Q"
app_pid=""

echo "bundle:   $(du -sh "$(dirname "$exe")" | cut -f1) in $(dirname "$exe")"
echo "window:   ${window_s}s after start"
echo "exported: ${export_s}s after start ($(basename "$png"), ${dims}, ${bytes} bytes, recipe inside)"
echo "OK"
