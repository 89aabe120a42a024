#!/bin/bash
# Re-record compat/ifconfig/<case>/ from the real net-tools `ifconfig` on real namespaces.
#
# For each scenario a throwaway namespace is built with `ip`, then for each argument list:
#   args      the arguments, one per line (empty file: none)
#   stdout, stderr, status   what the real /usr/sbin/ifconfig printed and returned
#   ip.json   `ip -j -s -s addr show` in that namespace: exactly what nslab's
#             Backend::addr_snapshot parses
#   if_inet6  /proc/net/if_inet6 as seen inside the namespace
#   meta      tool versions and kernel
#   jc.json   for `-a` cases: `ifconfig -a | jc --ifconfig` (the schema of `--json`)
# The dump is taken before and after the real run and the run is repeated until both dumps
# (and if_inet6) agree, so the recorded output belongs to the recorded state (counters can
# move while IPv6 autoconfiguration sends its packets).
#
# Usage (root): compat/record-ifconfig.sh [SCENARIO...]   (default: all)
# Needs: iproute2, net-tools, iputils-ping, jc.
# Another ifconfig build (the classic 1.60 one, see record-classic.sh): IFCONFIG=PATH,
# IFCONFIG_DEST=DIR (where the cases go) and NETTOOLS_META=TEXT (the meta's first line).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dest=${IFCONFIG_DEST:-$here/ifconfig}
IFCONFIG=${IFCONFIG:-/usr/sbin/ifconfig}
NS=icrec$$
PEER=icrep$$

cleanup() {
    ip netns del "$NS" 2>/dev/null || true
    ip netns del "$PEER" 2>/dev/null || true
}
trap cleanup EXIT

fresh() {
    cleanup
    ip netns add "$NS"
    ip netns add "$PEER"
    # No router solicitations: fewer packets that move counters while recording.
    ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.router_solicitations=0
    ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.router_solicitations=0
}

n() { ip -n "$NS" "$@"; }

# Wait until the kernel has processed pending link events: every operstate read twice,
# 300 ms apart, unchanged (linkwatch runs them within about a second).
settle() {
    local a b
    sleep 0.3
    for _ in $(seq 1 20); do
        a=$(ip netns exec "$NS" sh -c 'cat /sys/class/net/*/operstate')
        sleep 0.3
        b=$(ip netns exec "$NS" sh -c 'cat /sys/class/net/*/operstate')
        [ "$a" = "$b" ] && return 0
    done
}

meta() {
    if [ -n "${NETTOOLS_META:-}" ]; then
        printf '%s\n' "$NETTOOLS_META"
    else
        printf 'net-tools %s\n' "$(dpkg-query -W -f='${Version}' net-tools 2>/dev/null || echo unknown)"
    fi
    printf 'ifconfig %s\n' "$($IFCONFIG -V 2>&1 | head -1)"
    printf 'iproute2 %s\n' "$(ip -V 2>&1)"
    printf 'kernel %s\n' "$(uname -r)"
    printf 'recorded %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

# record CASE [ARGS...]
record() {
    local case=$1
    shift
    local dir=$dest/$case
    mkdir -p "$dir"
    : >"$dir/args"
    local a
    for a in "$@"; do printf '%s\n' "$a" >>"$dir/args"; done
    local d1 d2 i1 i2 rc
    for _ in $(seq 1 10); do
        d1=$(ip -n "$NS" -j -s -s addr show)
        i1=$(ip netns exec "$NS" cat /proc/net/if_inet6)
        rc=0
        ip netns exec "$NS" "$IFCONFIG" "$@" >"$dir/stdout" 2>"$dir/stderr" || rc=$?
        d2=$(ip -n "$NS" -j -s -s addr show)
        i2=$(ip netns exec "$NS" cat /proc/net/if_inet6)
        [ "$d1" = "$d2" ] && [ "$i1" = "$i2" ] && break
        sleep 0.5
    done
    [ "$d1" = "$d2" ] || echo "warning: $case: state kept moving" >&2
    printf '%s\n' "$d1" >"$dir/ip.json"
    ip netns exec "$NS" cat /proc/net/if_inet6 >"$dir/if_inet6"
    echo "$rc" >"$dir/status"
    # jc's reading of `ifconfig -a`, for the offline check of `nslab ifconfig -a --json`.
    # (Not for another build: `--json` follows jc's reading of the 2.10 output.)
    if [ "$*" = "-a" ] && [ -z "${NETTOOLS_META:-}" ] && command -v jc >/dev/null; then
        jc --ifconfig <"$dir/stdout" >"$dir/jc.json"
    fi
    meta >"$dir/meta"
    echo "recorded $case (rc $rc)"
}

# A veth NAME in $NS with its peer NAME-p in $PEER; fixed MACs keep recordings stable.
veth() {
    local name=$1 mac=$2
    ip link add "$name" netns "$NS" address "$mac" type veth peer name "${name}p" netns "$PEER"
}

scenario_lo() {
    fresh
    settle
    record lo-down
    record lo-down.a -a
    record lo-down.s -s
    record lo-down.as -a -s
    record lo-down.lo lo
    record lo-down.s-lo -s lo
    n link set lo up
    settle
    record lo-up
    record lo-up.v -v
    record lo-up.lo lo
    record lo-up.s -s
}

scenario_options() {
    fresh
    record options.help --help
    record options.h -h
    record options.qmark '-?'
    record options.V -V
    record options.version --version
    record options.bad -x
    record options.bad-after-a -a --bogus
    record options.version-first -V -x
    record options.dash -
    record options.nosuch nosuch
    record options.s-nosuch -s nosuch
    record options.a-nosuch -a nosuch
    record options.long-nosuch this_name_is_much_longer
    record options.v-nosuch -v nosuch
    record options.a-lo -a lo
    record options.empty ''
}

scenario_veth() {
    fresh
    n link set lo up
    veth icv0 02:00:00:00:00:01
    veth icv1 02:00:00:00:00:02
    veth icv2 02:00:00:00:00:03
    n addr add 10.0.0.1/24 dev icv0
    ip -n "$PEER" addr add 10.0.0.2/24 dev icv0p
    n addr add 10.0.1.1/24 brd + dev icv1
    n addr add 10.0.2.1/16 brd 10.0.255.254 dev icv2
    n link set icv0 up
    ip -n "$PEER" link set icv0p up
    n link set icv1 up # peer stays down: no carrier
    settle
    # Traffic from the peer namespace to ours: KiB and MiB brackets.
    ip netns exec "$PEER" ping -q -c 3 -s 1000 -i 0.01 10.0.0.1 >/dev/null
    ip netns exec "$PEER" ping -q -c 25 -s 60000 -i 0.01 10.0.0.1 >/dev/null
    settle
    record veth
    record veth.a -a
    record veth.s -s
    record veth.as -s -a
    record veth.up icv0
    record veth.nocarrier icv1
    record veth.down icv2
    record veth.s-down -s icv2
}

scenario_kinds() {
    fresh
    n link set lo up
    n link add icbr0 type bridge
    n link add icbr1 type bridge
    veth icport 02:00:00:00:00:11
    n link set icport master icbr1
    n link add icifb0 type ifb
    n link add icifb1 type ifb
    n tuntap add ictun0 mode tun
    n tuntap add ictap0 mode tap
    n link add icvx0 type vxlan id 42 dstport 4789
    n link set icbr0 up
    n link set icbr1 up
    n link set icport up
    n link set icifb0 up
    n link set ictun0 up
    n link set ictap0 up
    n link set icvx0 up
    n addr add 10.20.0.1/24 dev ictun0
    n addr add 10.21.0.1 peer 10.21.0.2/24 dev icifb0
    n addr add 10.22.0.1/24 brd + dev icbr0
    settle
    record kinds
    record kinds.a -a
    record kinds.as -a -s
    record kinds.tun ictun0
    record kinds.ifb-down icifb1
}

scenario_aliases() {
    fresh
    n link set lo up
    veth icv0 02:00:00:00:00:21
    veth icv1 02:00:00:00:00:22
    veth icv2 02:00:00:00:00:23
    veth icv3 02:00:00:00:00:24
    n addr add 10.1.0.1/16 brd + dev icv0
    n addr add 10.7.0.1/8 brd 10.7.7.7 dev icv0 label icv0:10
    n addr add 10.1.0.2/16 dev icv0 label icv0:1
    n addr add 10.1.0.3/16 dev icv0 label icv0:02
    n addr add 10.1.0.4/16 dev icv0 label icv0:3
    n addr add 10.9.0.1/24 dev icv0 label icv0:abc
    n addr add 10.2.0.1/24 dev icv1 label icv1:5
    # The primary carries an alias label, a secondary the plain name.
    n addr add 10.3.0.1/24 dev icv2 label icv2:1
    n addr add 10.3.0.2/24 dev icv2
    # A label on a down device.
    n addr add 10.4.0.1/24 dev icv3 label icv3:7
    n link set icv0 up
    n link set icv1 up
    n link set icv2 up
    settle
    record aliases
    record aliases.a -a
    record aliases.as -a -s
    record aliases.s -s
    record aliases.alias icv0:1
    record aliases.alias10 icv0:10
    record aliases.ghost icv0:9
    record aliases.nonnumeric icv0:abc
    record aliases.secondary icv2
    record aliases.primary-alias icv2:1
    record aliases.down-label icv3:7
    record aliases.s-alias -s icv0:3
    record aliases.nosuch-dev nosuch:1
}

scenario_ipv6() {
    fresh
    n link set lo up
    veth icv6 02:00:00:00:00:31
    n link set icv6 up
    local a
    for a in 2001:0:0:1::5/64 2001:db8:0:1::1/64 ::ffff:1.2.3.4/96 ::1.2.3.4/96 fd00:1::1/48 \
        2001:db8::2/128 2001:db8::1/64 fec0::1/10 fe80::1234/64 1:0:0:2:0:0:3:4/64; do
        n addr add "$a" dev icv6 nodad
    done
    settle
    record ipv6
    record ipv6.a -a
    record ipv6.dev icv6
    record ipv6.lo lo
}

scenario_flags() {
    fresh
    n link set lo up
    veth icdyn 02:00:00:00:00:41
    veth icprom 02:00:00:00:00:42
    veth icnoarp 02:00:00:00:00:43
    veth icmtu 02:00:00:00:00:44
    n link set icdyn dynamic on
    n link set icprom promisc on
    n link set icprom allmulticast on
    n link set icnoarp arp off
    n link set icnoarp trailers off
    n link set icnoarp multicast off
    n link set icmtu txqueuelen 0
    n link set icmtu mtu 9000
    ip -n "$PEER" link set icdynp up
    n link set icdyn up
    n link set icprom up
    n link set icnoarp up
    n addr add 192.168.5.1/24 brd + dev icnoarp
    settle
    record flags
    record flags.a -a
    record flags.as -a -s
    record flags.dyn icdyn
    n link set icmtu mtu 68
    settle
    record flags.mtu68 icmtu
}

scenario_order() {
    fresh
    local name i=0
    for name in icbr01 icbr1 icbr9 icbr10 icbr-y icbr1z icbr_x icBR icPORT ica \
        ic_very_long_nm; do
        i=$((i + 1))
        ip link add "$name" netns "$NS" address "02:00:00:00:01:$(printf %02x $i)" type veth \
            peer name "icq$i" netns "$PEER"
    done
    n addr add 10.8.0.1/24 dev icbr1 label icbr1:1
    n addr add 10.8.1.1/24 dev icbr10 label icbr10:2
    settle
    record order.a -a
    record order.as -a -s
    record order.long ic_very_long_nm
    record order.cut ic_very_long_nm_and_more
}

# Labels whose part before `:` is not a device: net-tools stops listing at the first one.
scenario_badlabel() {
    fresh
    n link set lo up
    veth icv0 02:00:00:00:00:51
    n link set icv0 up
    n addr add 10.77.0.1/24 dev icv0 label icv0x:1
    n addr add 10.78.0.1/24 dev icv0 label icv0abc
    settle
    record badlabel.a -a
    record badlabel
    record badlabel.label icv0x:1
    record badlabel.dev icv0
}

# Byte counters past each unit of the brackets (b, KiB, MiB, GiB): about 1.1 GiB of pings
# from the peer namespace (bounded count), so not in the default list.
scenario_counters() {
    fresh
    n link set lo up
    local i
    for i in 0 1 2 3; do
        veth "icc$i" "02:00:00:00:00:6$i"
        n addr add "10.60.$i.1/24" dev "icc$i"
        ip -n "$PEER" addr add "10.60.$i.2/24" dev "icc${i}p"
        n link set "icc$i" up
        ip -n "$PEER" link set "icc${i}p" up
    done
    settle
    ip netns exec "$PEER" ping -q -c 1 -s 56 10.60.0.1 >/dev/null
    ip netns exec "$PEER" ping -q -c 5 -s 300 -i 0.01 10.60.1.1 >/dev/null
    ip netns exec "$PEER" ping -q -c 40 -s 50000 -i 0.01 10.60.2.1 >/dev/null
    ip netns exec "$PEER" ping -q -f -c 18000 -s 65000 10.60.3.1 >/dev/null
    settle
    record counters.a -a
    record counters.s -s
    record counters.b icc0
    record counters.kib icc1
    record counters.mib icc2
    record counters.gib icc3
}

all="lo options veth kinds aliases ipv6 flags order badlabel"
for s in ${@:-$all${EXTRA_SCENARIOS:+ $EXTRA_SCENARIOS}}; do
    "scenario_$s"
done
