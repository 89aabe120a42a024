#!/bin/bash
# Re-record compat/classic/<tool>/<case>/ from an ALREADY BUILT classic net-tools 1.60
# (the RHEL/CentOS 6 build: tag v1.60 + Fedora's net-tools-1.60-110 patch set). This script
# records; it does not build. How the reference binaries are made is in
# ../shared/classic-nettools.md; their provenance is in compat/classic/README.md.
#
# Usage (root): compat/record-classic.sh DIR [SCENARIO...]
#   DIR        a directory holding the classic `ifconfig` (and, for route/arp, `route`, `arp`)
#   SCENARIO   ifconfig scenarios of record-ifconfig.sh (default: all of them plus `counters`,
#              then route and arp), or `routearp` for route and arp only (`corners`: only
#              their second state)
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

# route and arp: one namespace state (rebuilt before each change), many argument lists. Per
# case: args, stdout, stderr, status, the state the tool saw, as nslab reads it (route.json:
# `ip -j route show table all`, route6.json: the same with -6, neigh.json: the two documents
# of `ip -4 -j -batch -` with `neigh show` and `neigh show proxy`, addr.json: `ip -j addr
# show`), the /proc files the classic tools read (proc_route, proc_ipv6_route, proc_arp),
# the namespace's /etc/hosts and /etc/networks (hosts, networks) and meta. A change case also
# has the state after it (after_route.json, after_route6.json, after_neigh.json). The
# namespace has an empty resolv.conf: a name the files do not know never leaves it.
NS=clrec$$
PEER=clrep$$
cleanup() {
    ip netns del "$NS" 2>/dev/null || true
    ip netns del "$PEER" 2>/dev/null || true
    rm -rf "/etc/netns/$NS"
}
trap cleanup EXIT

# dump_state DIR PREFIX: the route/neigh dumps of the namespace into DIR/PREFIX*.json.
dump_state() {
    local d=$1 p=$2
    ip -n "$NS" -j route show table all >"$d/${p}route.json"
    ip -n "$NS" -j -6 route show table all >"$d/${p}route6.json"
    printf 'neigh show\nneigh show proxy\n' | ip -n "$NS" -4 -j -batch - >"$d/${p}neigh.json"
}

# dump_all DIR: everything a case records about the state.
dump_all() {
    local d=$1
    dump_state "$d" ""
    ip -n "$NS" -j addr show >"$d/addr.json"
    ip netns exec "$NS" cat /proc/net/route >"$d/proc_route"
    ip netns exec "$NS" cat /proc/net/ipv6_route >"$d/proc_ipv6_route"
    ip netns exec "$NS" cat /proc/net/arp >"$d/proc_arp"
}

# record_tool TOOL CASE [ARGS...]: a display (or a refusal) on the current state. The state
# is dumped before the call and checked after it: a display whose state moved meanwhile
# (a use count of the IPv6 table, say) is recorded again, up to 5 times.
record_tool() {
    local tool=$1 case=$2
    shift 2
    local d=$here/classic/$tool/$case
    rm -rf "$d"
    mkdir -p "$d"
    : >"$d/args"
    local a
    for a in "$@"; do printf '%s\n' "$a" >>"$d/args"; done
    cp "/etc/netns/$NS/hosts" "$d/hosts"
    cp "/etc/netns/$NS/networks" "$d/networks"
    local rc try check
    check=$(mktemp -d)
    for try in 1 2 3 4 5; do
        dump_all "$d"
        rc=0
        # Called by its bare name (its messages start with argv[0]).
        ip netns exec "$NS" env PATH="$dir:$PATH" "$tool" "$@" >"$d/stdout" 2>"$d/stderr" </dev/null || rc=$?
        [ "${RECORD_CHANGE:-}" ] && break
        dump_all "$check"
        local f same=1
        for f in route.json route6.json neigh.json addr.json proc_route proc_ipv6_route proc_arp; do
            cmp -s "$d/$f" "$check/$f" || same=
        done
        [ "$same" ] && break
        echo "$tool/$case: the state moved while recording (try $try)" >&2
        sleep 1
    done
    rm -rf "$check"
    echo "$rc" >"$d/status"
    {
        printf '%s\n' "$meta"
        printf '%s %s\n' "$tool" "$("$dir/$tool" -V 2>&1 | sed -n 2p)"
        printf 'iproute2 %s\n' "$(ip -V 2>&1)"
        printf 'kernel %s\n' "$(uname -r)"
        printf 'recorded %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } >"$d/meta"
    echo "recorded $tool/$case (rc $rc)"
}

# record_change TOOL CASE [ARGS...]: on a freshly built state, with the state after it.
record_change() {
    build_routearp
    RECORD_CHANGE=1 record_tool "$@"
    dump_state "$here/classic/$1/$2" after_
}

# fresh_netns HOSTS NETWORKS: new namespaces $NS and $PEER; $NS gets these /etc/hosts and
# /etc/networks texts, an empty resolv.conf, no router solicitations and no duplicate address
# detection (link-local addresses and their routes are there at once), and lo up.
fresh_netns() {
    cleanup
    ip netns add "$NS"
    ip netns add "$PEER"
    mkdir -p "/etc/netns/$NS"
    : >"/etc/netns/$NS/resolv.conf"
    printf '%b' "$1" >"/etc/netns/$NS/hosts"
    printf '%b' "$2" >"/etc/netns/$NS/networks"
    local k
    for k in all.router_solicitations=0 default.router_solicitations=0 default.accept_dad=0; do
        ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$k"
    done
    ip -n "$NS" link set lo up
}

build_routearp() {
    fresh_netns '127.0.0.1 localhost\n10.0.0.2 peertwo\n10.0.0.254 gwbox\n2001:db8:1::fe gw6\n' \
        'loopback 127.0.0.0\nlabnet 10.1.0.0\nfar 10.2.0.0\n'
    local n="ip -n $NS"
    ip link add crv0 netns "$NS" address 02:00:00:00:00:71 type veth peer name crv0p netns "$PEER"
    ip link add crv1 netns "$NS" address 02:00:00:00:00:72 type veth peer name crv1p netns "$PEER"
    ip link add crv2 netns "$NS" address 02:00:00:00:00:73 type veth peer name crv2p netns "$PEER"
    $n addr add 10.0.0.1/24 dev crv0
    $n addr add 10.1.0.1/16 dev crv1
    $n addr add 10.5.0.1/24 dev crv2
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
    $n route add unreachable 2001:db8:9::/64
    $n neigh add 10.0.0.2 lladdr aa:bb:cc:dd:ee:02 dev crv0 nud permanent
    $n neigh add 10.0.0.3 lladdr aa:bb:cc:dd:ee:03 dev crv0 nud reachable
    $n neigh add 10.1.0.9 lladdr 02:00:00:00:00:99 dev crv1 nud stale
    $n neigh add 10.0.0.254 dev crv0 nud incomplete 2>/dev/null || true
    $n neigh add proxy 10.0.0.77 dev crv0
    sleep 1
}

# A second state for the corners: an all-zero destination that is not the default route, a
# host route whose address /etc/hosts names, a 15-byte device name, IPv6 routes through a
# named gateway, neighbours that failed, are being probed or need no ARP.
build_corners() {
    fresh_netns '127.0.0.1 localhost\n10.0.0.2 peertwo\n10.7.0.1 farhost\n2001:db8:1::2 six2\n2001:db8:1::1 sixme\n' \
        'loopback 127.0.0.0\nlongnet 10.8.0.0\n'
    local n="ip -n $NS" l=crvlongname0123
    ip link add crv0 netns "$NS" address 02:00:00:00:00:81 type veth peer name crv0p netns "$PEER"
    ip link add $l netns "$NS" address 02:00:00:00:00:82 type veth peer name crv1p netns "$PEER"
    $n addr add 10.0.0.1/24 dev crv0
    $n addr add 10.8.0.1/16 dev $l
    $n addr add 2001:db8:1::1/64 dev crv0
    $n link set crv0 up
    $n link set $l up
    ip -n "$PEER" link set crv0p up
    ip -n "$PEER" link set crv1p up
    $n route add 0.0.0.0/1 via 10.0.0.2
    $n route add 10.7.0.1 via 10.8.0.9 metric 7
    $n route add 10.6.0.0/16 dev $l metric 100 advmss 1200
    $n route add prohibit 10.5.0.0/16
    $n route add blackhole 10.4.0.0/16
    $n route add 2001:db8:3::/48 via 2001:db8:1::2 metric 5
    $n route add 2001:db8:4::1 dev $l
    $n neigh add 10.0.0.2 lladdr aa:bb:cc:dd:ee:02 dev crv0 nud permanent
    $n neigh add 10.0.0.5 lladdr aa:bb:cc:dd:ee:05 dev crv0 nud failed 2>/dev/null || true
    $n neigh add 10.0.0.6 lladdr aa:bb:cc:dd:ee:06 dev crv0 nud delay
    $n neigh add 10.0.0.8 lladdr aa:bb:cc:dd:ee:08 dev crv0 nud noarp
    $n neigh add 10.8.0.7 lladdr 02:00:00:00:00:97 dev $l nud permanent
    $n neigh add proxy 10.8.0.77 dev $l
    sleep 1
}

scenario_corners() {
    build_corners
    record_tool route x-n -n
    record_tool route x-plain
    record_tool route x-e -e
    record_tool route x-ee -ee
    record_tool route x-ee-n -n -ee
    record_tool route x-inet6 -n -A inet6
    record_tool route x-inet6-names -A inet6
    record_tool arp x-n -n
    record_tool arp x-plain
    record_tool arp x-a -a
    record_tool arp x-i -a -i crvlongname0123
    record_tool arp x-v -n -v
}

scenario_routearp() {
    for t in route arp; do [ -x "$dir/$t" ] || { echo "$dir/$t missing" >&2; exit 1; }; done
    build_routearp
    # Displays and refusals on one state.
    record_tool route n -n
    record_tool route plain
    record_tool route e -n -e
    record_tool route e-names -e
    record_tool route ee -n -ee
    record_tool route ee-names -ee
    record_tool route eee -n -eee
    record_tool route inet6 -n -A inet6
    record_tool route inet6-names -A inet6
    record_tool route inet6-long -n --inet6
    record_tool route both -n -A inet,inet6
    record_tool route 6 -6 -n
    record_tool route 4 -4 -n
    record_tool route inet6-e -n -e -A inet6
    record_tool route C -n -C
    record_tool route C-e -n -C -e
    record_tool route C-ee -n -C -ee
    record_tool route C6 -n -C -A inet6
    record_tool route FC -n -F -C
    record_tool route v -n -v
    record_tool route V -V
    record_tool route help --help
    record_tool route h -h
    record_tool route h-inet -h -A inet
    record_tool route h-inet6 -h -A inet6
    record_tool route h-ax25 -h -A ax25
    record_tool route bad -x
    record_tool route badaf -A foo
    record_tool route ax25 -A ax25
    record_tool route unix -A unix
    record_tool route verb foo
    record_tool route add-none add
    record_tool route del-none del
    record_tool route flush flush
    record_tool route flush6 -A inet6 flush
    record_tool route C-add -C add -net 10.20.0.0/16 dev crv0
    record_tool route two-af -A inet,inet6 add default gw 10.0.0.254
    record_tool route add-6opt -6 add 2001:db8:5::/64 dev crv0
    record_tool route add-nomask add -net 10.21.0.0 dev crv0
    record_tool route add-hostmask add -host 10.22.0.1 netmask 255.255.0.0 dev crv0
    record_tool route add-bogus add -net 10.23.0.0 netmask 255.0.255.0 dev crv0
    record_tool route add-nomatch add -net 10.23.0.1 netmask 255.255.0.0 dev crv0
    record_tool route add-netgw add -net 10.24.0.0/16 gw labnet
    record_tool route add-unknown add -net 10.25.0.0/16 gw nosuchhost
    record_tool route add-unknown-target add -net nosuchnet netmask 255.255.0.0 dev crv0
    record_tool route add-unknown-mask add -net 10.25.0.0 netmask nosuchmask dev crv0
    record_tool route add-mss add -net 10.26.0.0/16 gw 10.0.0.254 mss 10
    record_tool route add-window add -net 10.26.0.0/16 gw 10.0.0.254 window 5
    record_tool route add-metric add -net 10.26.0.0/16 gw 10.0.0.254 metric x
    record_tool route add-extra add -net 10.27.0.0/16 crv0 extra
    record_tool route add-twodev add -net 10.27.0.0/16 dev crv0 dev crv1
    record_tool route add-twogw add -net 10.27.0.0/16 gw 10.0.0.254 gw 10.0.0.3
    record_tool route add-gwmissing add -net 10.27.0.0/16 gw
    record_tool route add-badprefix add -net 10.27.0.0/1x dev crv0
    record_tool route add-mask-twice add -net 10.27.0.0/16 netmask 255.255.0.0 dev crv0
    record_tool route add6-bad -A inet6 add zzz::1/64 dev crv0
    record_tool route add6-none -A inet6 add
    record_tool route add6-extra -A inet6 add 2001:db8:5::/64 crv0 extra
    record_tool route add6-gw-bad -A inet6 add 2001:db8:5::/64 gw nosuch6
    # Changes, each on a fresh state.
    record_change route add-default add default gw 10.0.0.3
    record_change route add-net add -net 10.20.0.0 netmask 255.255.0.0 gw 10.0.0.254 dev crv0
    record_change route add-net-cidr add -net 10.20.0.0/16 gw 10.1.0.7
    record_change route add-host add -host 10.30.0.1 gw 10.0.0.254
    record_change route add-host-bare add 10.30.0.2 dev crv1
    record_change route add-dev-bare add -net 10.31.0.0 netmask 255.255.0.0 crv1
    record_change route add-metric5 add -net 10.32.0.0/16 gw 10.0.0.254 metric 5
    record_change route add-mss-ok add -net 10.33.0.0/16 gw 10.0.0.254 mss 1400 window 4000 irtt 30
    record_change route add-reject add -net 10.34.0.0/16 reject
    record_change route add-unreach add default gw 10.6.6.6
    record_change route add-nodev add -net 10.20.0.0/16 gw 10.0.0.254 dev nodev
    record_change route add-down add -net 10.35.0.0/16 dev crv2
    record_change route add-gwdown add -net 10.35.0.0/16 gw 10.5.0.7
    record_change route add-exists add -net 10.2.0.0 netmask 255.255.0.0 gw 10.1.0.254 metric 5
    record_change route add-names add -net far netmask 255.255.0.0 gw gwbox
    record_change route del-default del default
    record_change route del-net del -net 10.2.0.0 netmask 255.255.0.0
    record_change route del-net-metric del -net 10.2.0.0/16 metric 5
    record_change route del-host del -host 10.3.0.7
    record_change route del-missing del -net 10.99.0.0 netmask 255.255.0.0
    record_change route del-reject del -net 10.9.0.0/16 reject
    record_change route delete-word delete default gw 10.0.0.254
    record_change route add6 -A inet6 add 2001:db8:5::/64 gw 2001:db8:1::fe
    record_change route add6-dev -A inet6 add 2001:db8:6::/64 dev crv0
    record_change route add6-nodev -A inet6 add 2001:db8:6::/64 dev nodev
    record_change route add6-len -A inet6 add 2001:db8:7::/200 dev crv0
    record_change route del6 -A inet6 del 2001:db8:2::/64
    record_change route del6-missing -A inet6 del 2001:db8:99::/64
    record_change route add-mcast add -net 224.0.0.0 netmask 240.0.0.0 dev crv0
    record_change route add-default-dev add default dev crv1
    record_change route add-host-dev add -host 10.0.0.99 dev crv0
    record_change route add-metric0 add -net 10.40.0.0/16 gw 10.0.0.254 metric 0
    record_change route del-host-gw del -host 10.3.0.7 gw 10.0.0.254
    record_change route del-wronggw del -net 10.2.0.0/16 gw 10.0.0.254
    record_change route add6-default -A inet6 add default gw 2001:db8:1::fe
    record_change route add6-metric0 -A inet6 add 2001:db8:8::/64 gw 2001:db8:1::fe metric 0
    record_change route add6-names -A inet6 add 2001:db8:8::/64 gw gw6 dev crv0
    record_change route del6-gw -A inet6 del 2001:db8:2::/64 gw 2001:db8:1::fe
    build_routearp
    record_tool arp n -n
    record_tool arp plain
    record_tool arp an -an
    record_tool arp a -a
    record_tool arp e -e -n
    record_tool arp e-names -e
    record_tool arp v -n -v
    record_tool arp av -a -n -v
    record_tool arp ev -e -v
    record_tool arp i -n -i crv1
    record_tool arp i-a -a -n -i crv0
    record_tool arp i-nodev -n -i nodev
    record_tool arp host -n 10.0.0.2
    record_tool arp host-name peertwo
    record_tool arp host-a -a 10.0.0.2
    record_tool arp nohost -n 10.0.0.99
    record_tool arp nohost-a -a 10.0.0.99
    record_tool arp unknown-host nosuchhost
    record_tool arp hw -H ether -n
    record_tool arp hw-bad -H foo
    record_tool arp hw-loop -H loop -n
    record_tool arp af -A inet6
    record_tool arp V -V
    record_tool arp bad -x
    record_tool arp h -h
    record_tool arp help --help
    record_tool arp s-none -s
    record_tool arp s-nomac -s 10.0.0.9
    record_tool arp s-badmac2 -s 10.0.0.9 zz:00:00:00:00:09
    record_tool arp s-bogus -s 10.0.0.9 02:00:00:00:00:09 bogus
    record_tool arp s-unknown -s nosuchhost 02:00:00:00:00:09
    record_tool arp d-none -d
    record_tool arp d-unknown -d nosuchhost
    record_tool arp f-missing -f /nonexistent/ethers
    record_change arp s-badmac -s 10.0.0.9 aa:bb
    record_change arp s -s 10.0.0.5 aa:bb:cc:dd:ee:05
    record_change arp s-temp -s 10.0.0.6 aa:bb:cc:dd:ee:06 temp
    record_change arp s-pub -s 10.0.0.7 02:00:00:00:00:71 pub
    record_change arp s-pub-dev -i crv0 -s 10.0.0.8 02:00:00:00:00:08 pub
    record_change arp s-pub-nodev -s 10.0.0.8 02:00:00:00:00:08 pub
    record_change arp s-netmask -s 10.0.0.11 02:00:00:00:00:71 netmask 255.255.255.0 pub
    record_change arp s-v -v -s 10.0.0.12 aa:bb:cc:dd:ee:12
    record_change arp s-replace -s 10.0.0.2 aa:bb:cc:dd:ee:22
    record_change arp s-dev -i crv1 -s 10.1.0.5 aa:bb:cc:dd:ee:15
    record_change arp s-i-nodev -i nodev -s 10.0.0.13 aa:bb:cc:dd:ee:13
    record_change arp s-unreach -s 10.77.0.1 aa:bb:cc:dd:ee:14
    record_change arp s-local -s 10.0.0.1 aa:bb:cc:dd:ee:14
    record_change arp s-down -s 10.5.0.9 aa:bb:cc:dd:ee:14
    record_change arp d -d 10.0.0.2
    record_change arp d-reach -d 10.0.0.3
    record_change arp d-missing -d 10.0.0.99
    record_change arp d-proxy -d 10.0.0.77
    record_change arp d-proxy-dev -i crv0 -d 10.0.0.77 pub
    record_change arp d-v -v -d 10.0.0.3
    record_change arp d-incomplete -d 10.0.0.254
    record_change arp d-i -i crv1 -d 10.1.0.9
    record_change arp d-i-wrong -i crv1 -d 10.0.0.2
    record_change arp d-priv-missing -d 10.0.0.99 priv
    record_change arp d-pub-missing -d 10.0.0.99 pub
    record_change arp d-priv -d 10.0.0.3 priv
    record_change arp s-dev-word -s 10.1.0.31 aa:bb:cc:dd:ee:31 dev crv1
    record_change arp s-temp-pub -s 10.0.0.32 02:00:00:00:00:71 temp pub
    # Relative to the repository, as the offline test runs there.
    (cd "$here/.." && record_change arp f -f compat/classic/ethers)
    (cd "$here/.." && record_change arp f-v -v -f compat/classic/ethers)
    record_change arp s-dontpub -s 10.0.0.42 02:00:00:00:00:42 dontpub
    record_change arp d-v-dontpub -v -d 10.0.0.3 dontpub auto
    record_change arp d-v-dev -v -d 10.0.0.3 dev crv0
    scenario_corners
}

case "${1:-}" in
routearp) scenario_routearp; exit 0 ;;
corners) scenario_corners; exit 0 ;;
esac
IFCONFIG=$dir/ifconfig IFCONFIG_DEST=$here/classic/ifconfig NETTOOLS_META=$meta \
    EXTRA_SCENARIOS=counters "$here/record-ifconfig.sh" "$@"
scenario_routearp
