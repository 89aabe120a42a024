#!/bin/bash
# Re-record compat/classic/<tool>/<case>/ from an ALREADY BUILT classic net-tools 1.60
# (the RHEL/CentOS 6 build: tag v1.60 + Fedora's net-tools-1.60-110 patch set). This script
# records; it does not build. How the reference binaries are made is in
# ../shared/classic-nettools.md; their provenance is in compat/classic/README.md.
#
# Usage (root): compat/record-classic.sh DIR [SCENARIO...]
#   DIR        a directory holding the classic `ifconfig` (and, for route/arp, `route`, `arp`)
#   SCENARIO   ifconfig scenarios of record-ifconfig.sh (default: all of them plus `counters`)
# The case layout is the one of compat/ifconfig (see compat/ifconfig/README.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: record-classic.sh DIR-WITH-CLASSIC-BINARIES [SCENARIO...]}
shift
dir=$(cd "$dir" && pwd)
[ -x "$dir/ifconfig" ] || { echo "$dir/ifconfig: not an executable" >&2; exit 1; }
# The build prints `net-tools 1.60` then its own version line, on stderr.
"$dir/ifconfig" -V 2>&1 | grep -qx 'net-tools 1.60' || {
    echo "$dir/ifconfig is not net-tools 1.60" >&2
    exit 1
}

# The compiler, as the binary itself records it (`GCC: (Debian 12.2.0-14+deb12u1) 12.2.0`).
cc=$(readelf -p .comment "$dir/ifconfig" 2>/dev/null | sed -n 's/^ *\[ *[0-9a-f]*\] *//p' | head -1)
meta="net-tools 1.60-110 (tag v1.60 + Fedora net-tools-1.60-110 patches; ${cc:-compiler unknown})"

IFCONFIG=$dir/ifconfig IFCONFIG_DEST=$here/classic/ifconfig NETTOOLS_META=$meta \
    EXTRA_SCENARIOS=counters "$here/record-ifconfig.sh" "$@"
