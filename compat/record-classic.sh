#!/bin/bash
# Re-record compat/classic/<tool>/<case>/ from an ALREADY BUILT classic net-tools 1.60
# (the RHEL/CentOS 6 build: tag v1.60 + Fedora's net-tools-1.60-110 patch set). This script
# records; it does not build. How the reference binaries are made is in
# ../shared/classic-nettools.md; their provenance is in compat/classic/README.md.
#
# Usage (root): compat/record-classic.sh DIR [SCENARIO...]
#   DIR        a directory holding the classic `ifconfig` (and, for route/arp, `route`, `arp`)
#   SCENARIO   ifconfig scenarios of record-ifconfig.sh (default: all of them plus `counters`,
#              then route and arp), or `routearp` for route and arp only
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

# route and arp: one namespace state each, many argument lists. Per case: args, stdout,
# stderr, status, the `ip -j` dumps of the same state (route.json: `ip -j route show table
# all`, route6.json: the same with -6, neigh.json: `ip -j neigh show`, addr.json:
# `ip -j addr show`), the /proc files the classic tools read (proc_route, proc_ipv6_route,
# proc_arp) and meta. Configuration commands are not recorded here (no changes are made).
NS=clrec$$
PEER=clrep$$
cleanup() {
    ip netns del "$NS" 2>/dev/null || true
    ip netns del "$PEER" 2>/dev/null || true
}
trap cleanup EXIT

# record_tool TOOL CASE [ARGS...]
record_tool() {
    local tool=$1 case=$2
    shift 2
    local d=$here/classic/$tool/$case
    mkdir -p "$d"
    : >"$d/args"
    local a
    for a in "$@"; do printf '%s\n' "$a" >>"$d/args"; done
    local rc=0
    # Called by its bare name (its messages start with argv[0]).
    ip netns exec "$NS" env PATH="$dir:$PATH" "$tool" "$@" >"$d/stdout" 2>"$d/stderr" || rc=$?
    echo "$rc" >"$d/status"
    ip -n "$NS" -j route show table all >"$d/route.json"
    ip -n "$NS" -j -6 route show table all >"$d/route6.json"
    ip -n "$NS" -j neigh show >"$d/neigh.json"
    ip -n "$NS" -j addr show >"$d/addr.json"
    ip netns exec "$NS" cat /proc/net/route >"$d/proc_route"
    ip netns exec "$NS" cat /proc/net/ipv6_route >"$d/proc_ipv6_route"
    ip netns exec "$NS" cat /proc/net/arp >"$d/proc_arp"
    {
        printf '%s\n' "$meta"
        printf '%s %s\n' "$tool" "$("$dir/$tool" -V 2>&1 | sed -n 2p)"
        printf 'iproute2 %s\n' "$(ip -V 2>&1)"
        printf 'kernel %s\n' "$(uname -r)"
        printf 'recorded %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } >"$d/meta"
    echo "recorded $tool/$case (rc $rc)"
}

scenario_routearp() {
    cleanup
    ip netns add "$NS"
    ip netns add "$PEER"
    ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.router_solicitations=0
    ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.router_solicitations=0
    local n="ip -n $NS"
    $n link set lo up
    ip link add crv0 netns "$NS" address 02:00:00:00:00:71 type veth peer name crv0p netns "$PEER"
    ip link add crv1 netns "$NS" address 02:00:00:00:00:72 type veth peer name crv1p netns "$PEER"
    $n addr add 10.0.0.1/24 dev crv0
    $n addr add 10.1.0.1/16 dev crv1
    $n addr add 2001:db8:1::1/64 dev crv0 nodad
    $n link set crv0 up
    $n link set crv1 up
    ip -n "$PEER" link set crv0p up
    ip -n "$PEER" link set crv1p up
    $n route add default via 10.0.0.254
    $n route add 10.2.0.0/16 via 10.1.0.254 metric 5
    $n route add 10.3.0.7 via 10.0.0.254
    $n route add 192.168.9.0/24 dev crv1
    $n route add unreachable 10.9.0.0/16
    $n route add 10.4.0.0/24 via 10.0.0.254 mtu 1400 window 8000 rtt 300ms
    $n route add 2001:db8:2::/64 via 2001:db8:1::fe dev crv0
    $n route add default via 2001:db8:1::fe dev crv0 metric 2048
    $n neigh add 10.0.0.2 lladdr aa:bb:cc:dd:ee:02 dev crv0 nud permanent
    $n neigh add 10.0.0.3 lladdr aa:bb:cc:dd:ee:03 dev crv0 nud reachable
    $n neigh add 10.1.0.9 lladdr 02:00:00:00:00:99 dev crv1 nud stale
    $n neigh add 10.0.0.254 dev crv0 nud incomplete 2>/dev/null || true
    $n neigh add proxy 10.0.0.77 dev crv0
    sleep 1
    for t in route arp; do [ -x "$dir/$t" ] || { echo "$dir/$t missing" >&2; exit 1; }; done
    record_tool route n -n
    record_tool route plain
    record_tool route e -n -e
    record_tool route ee -n -ee
    record_tool route inet6 -n -A inet6
    record_tool route 6 -6 -n
    record_tool route inet6-e -n -e -A inet6
    record_tool route C -n -C
    record_tool route V -V
    record_tool route help --help
    record_tool route bad -x
    record_tool arp n -n
    record_tool arp an -an
    record_tool arp e -e -n
    record_tool arp i -n -i crv1
    record_tool arp host -n 10.0.0.2
    record_tool arp nohost -n 10.0.0.99
    record_tool arp V -V
    record_tool arp bad -x
}

if [ "${1:-}" = routearp ]; then
    scenario_routearp
    exit 0
fi
IFCONFIG=$dir/ifconfig IFCONFIG_DEST=$here/classic/ifconfig NETTOOLS_META=$meta \
    EXTRA_SCENARIOS=counters "$here/record-ifconfig.sh" "$@"
scenario_routearp
