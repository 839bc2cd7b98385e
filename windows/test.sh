#!/bin/sh
# The Windows tests (make windows-test): the unit tests built for Windows and
# tests/windows/test_windows.py, under wine64, in a network namespace of their
# own (loopback only: nothing reaches the machine's network) and a WINEPREFIX
# of their own, removed afterwards.
#   windows/test.sh BUILD_DIR
set -eu
build=$(cd "${1:?usage: windows/test.sh BUILD_DIR}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "${PORTSCOPE_IN_NETNS:-}" != 1 ]; then
	exec env PORTSCOPE_IN_NETNS=1 unshare --net --fork "$0" "$@"
fi
ip link set lo up
WINEPREFIX=$(mktemp -d /tmp/portscope-wine.XXXXXX)
export WINEPREFIX WINEDEBUG=-all
trap 'wineserver -k 2>/dev/null || true; rm -rf "$WINEPREFIX"' EXIT
wineboot -i >/dev/null 2>&1 || true # the prefix once, not in every test's time
rc=0
meson test -C "$build" --suite unit --print-errorlogs || rc=1
PORTSCOPE_WIN_BUILD=$build PORTSCOPE_SRC_DIR=$src /usr/bin/python3 -m pytest -q -p no:cacheprovider \
	"$src/tests/windows/test_windows.py" || rc=1
exit $rc
