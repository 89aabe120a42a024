#!/bin/bash
# Re-record compat/netstat/<scenario>/ from the real net-tools `netstat` on real namespaces.
#
# For each scenario a throwaway namespace is built with `ip` and sockets are opened in it by a
# small python3 holder (listening and connected TCP, UDP, raw and unix sockets, IPv4 and
# IPv6). Then:
#   state/    what nslab's recorded source reads, taken inside the namespace: the /proc/net
#             tables (proc_net_tcp for /proc/net/tcp …), the /etc files the names come from
#             (etc_services, etc_hosts …), `programs` (socket inode → PID/argv0 basename, the
#             owners as /proc/PID/fd shows them, only the inodes of the recorded tables),
#             addr.json (`ip -j -s -s addr show`), if_inet6, maddr.json (`ip -j maddr`),
#             route.json (`ip -j route show table all`) and proc_net_ipv6_route (`-r`), meta
#   <case>/   args (one per line), stdout, stderr, status of the real /usr/bin/netstat, and
#             jc.json (`jc --netstat` of that stdout) where jc parses it
# The state is read before and after each real run and the run is repeated until both agree,
# so a recorded output belongs to the recorded state.
#
# Usage (root): compat/record-netstat.sh [SCENARIO...]   (default: all)
# Needs: iproute2, net-tools, python3, jc.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dest=$here/netstat
NETSTAT=${NETSTAT:-/usr/bin/netstat}
NS=nsrec$$
holder=

cleanup() {
    if [ -n "$holder" ]; then kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; fi
    holder=
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "/etc/netns/$NS"
    rm -f "/tmp/$NS".sock*
}
trap cleanup EXIT

fresh() {
    cleanup
    ip netns add "$NS"
    # Names from the files only (what nslab reads): the real tool's DNS queries for unknown
    # addresses would move the counters (OutNoRoutes) and take time.
    mkdir -p "/etc/netns/$NS"
    printf 'passwd: files\nhosts: files\nnetworks: files\nprotocols: files\nservices: files\n' \
        >"/etc/netns/$NS/nsswitch.conf"
    ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.router_solicitations=0
    ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.router_solicitations=0
}

n() { ip -n "$NS" "$@"; }
inside() { ip netns exec "$NS" "$@"; }

# Files nslab reads, as seen inside the namespace; one snapshot on stdout for comparison.
FILES="/proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 /proc/net/udplite
/proc/net/udplite6 /proc/net/raw /proc/net/raw6 /proc/net/unix /proc/net/snmp /proc/net/snmp6
/proc/net/netstat /proc/net/ipv6_route /etc/services /etc/protocols /etc/hosts /etc/networks
/etc/passwd"

state_text() {
    local f
    for f in $FILES; do echo "== $f"; inside cat "$f" 2>/dev/null || true; done
    n -j -s -s addr show
    n -j maddr
    n -j route show table all
}

# socket inode -> PID/argv0 basename, first process in /proc order, as net-tools -p does.
programs() {
    local inodes
    inodes=$(inside cat /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,unix} 2>/dev/null |
        awk 'NR>0 && $1 ~ /:$/ {print ($1 ~ /^[0-9a-f]+:$/ && NF>=10) ? $10 : $7}' | sort -u)
    python3 - "$inodes" <<'EOF'
import os, sys
want = set(sys.argv[1].split())
seen = {}
for pid in os.listdir('/proc'):
    if not pid.isdigit():
        continue
    try:
        fds = os.listdir(f'/proc/{pid}/fd')
    except OSError:
        continue
    for fd in sorted(fds, key=int):
        try:
            link = os.readlink(f'/proc/{pid}/fd/{fd}')
        except OSError:
            continue
        if not (link.startswith('socket:[') and link.endswith(']')):
            continue
        inode = link[8:-1]
        if inode not in want or inode in seen:
            continue
        try:
            argv0 = open(f'/proc/{pid}/cmdline', 'rb').read()[:511].split(b'\0')[0].decode()
        except OSError:
            continue
        if argv0.startswith('/'):
            argv0 = argv0.rsplit('/', 1)[1]
        seen[inode] = (f'{pid}/{argv0}'.encode()[:19]).decode(errors='replace')
for inode, name in seen.items():
    print(inode, name)
EOF
}

save_state() {
    local dir=$dest/$1/state f
    rm -rf "$dir"
    mkdir -p "$dir"
    for f in $FILES; do
        inside cat "$f" >"$dir/$(echo "${f#/}" | tr / _)" 2>/dev/null || rm -f "$dir/$(echo "${f#/}" | tr / _)"
    done
    n -j -s -s addr show >"$dir/addr.json"
    inside cat /proc/net/if_inet6 >"$dir/if_inet6"
    n -j maddr >"$dir/maddr.json"
    n -j route show table all >"$dir/route.json"
    programs >"$dir/programs"
    {
        printf 'net-tools %s\n' "$(dpkg-query -W -f='${Version}' net-tools 2>/dev/null || echo unknown)"
        printf 'iproute2 %s\n' "$(ip -V 2>&1)"
        printf 'kernel %s\n' "$(uname -r)"
        printf 'recorded %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } >"$dir/meta"
}

# record SCENARIO CASE [ARGS...]
record() {
    local scenario=$1 case=$2
    shift 2
    local dir=$dest/$scenario/$case
    mkdir -p "$dir"
    : >"$dir/args"
    local a
    for a in "$@"; do printf '%s\n' "$a" >>"$dir/args"; done
    local s1 s2 rc
    for _ in $(seq 1 10); do
        s1=$(state_text)
        rc=0
        # Called by its name, as a user types it: getopt prefixes its messages with argv[0].
        (cd / && PATH=$(dirname "$NETSTAT"):$PATH ip netns exec "$NS" netstat "$@") >"$dir/stdout" 2>"$dir/stderr" || rc=$?
        s2=$(state_text)
        [ "$s1" = "$s2" ] && break
        sleep 0.3
    done
    [ "$s1" = "$s2" ] || { echo "error: $scenario/$case: state kept moving" >&2; exit 1; }
    echo "$rc" >"$dir/status"
    rm -f "$dir/jc.json"
    # Displays only: jc also "parses" the usage and version texts (into []).
    if [ "$rc" = 0 ] && ! head -1 "$dir/stdout" | grep -qE '^(usage:|net-tools)' && jc --netstat <"$dir/stdout" >"$dir/jc.json" 2>/dev/null; then :; else rm -f "$dir/jc.json"; fi
}

# Open sockets inside the namespace and keep them (compat/netstat-holder.py); returns once
# they exist.
hold_sockets() {
    ip netns exec "$NS" python3 "$here/netstat-holder.py" "/tmp/$NS.sock" &
    holder=$!
    for _ in $(seq 1 50); do [ -e "/tmp/$NS.sock.ready" ] && return 0; sleep 0.1; done
    echo "error: socket holder did not start" >&2
    exit 1
}

scenario_empty() {
    fresh
    n link set lo up
    sleep 2 # MLD reports for the groups lo joins move the IPv6 counters for a moment
    save_state empty
    local c
    record empty case
    record empty a -a
    record empty i -i
    record empty ie -ie
    record empty s -s
    record empty s6 -s -6
    record empty g -g
    record empty help -h
    record empty help-long --help
    record empty qmark '-?'
    record empty version -V
    record empty bad-short -q
    record empty bad-long --bogus
    record empty bad-long-arg --tcp=1
    record empty ambiguous --in
    record empty ambiguous-num --num
    record empty missing-arg -A
    record empty bad-family -A foo
    record empty bad-family-list -A inet,foo
    record empty two-displays -r -i
    record empty s-unix -s -x
    record empty s-both -s -4 -6
    record empty selinux -Z
    record empty masquerade -M
    record empty sctp -S
    record empty sctp-all -S -a
    record empty verbose -v
    record empty verbose-all -va
    record empty ipx --ipx
    record empty ax25 --ax25
    record empty netrom --netrom
    record empty l2cap -2
    record empty bluetooth --bluetooth
    record empty tcpip --tcpip
    record empty econet -A econet
    record empty ip --ip
    record empty udplite -U
    record empty protocol --protocol=inet6
    record empty operands -t foo bar
    record empty dashdash -- -t
}

scenario_sockets() {
    fresh
    cat >"/etc/netns/$NS/hosts" <<'EOF'
127.0.0.1 localhost
10.77.0.1 alpha.lab.example alpha
10.77.0.2 beta
fd77::1 six-alpha
2001:db8:aaaa:bbbb:cccc:dddd:eeee:1 a-very-long-host-name-for-the-column.example
EOF
    n link set lo up
    n link add nsrv0 address 02:00:00:00:77:01 type veth peer name nsrv1 address 02:00:00:00:77:02
    n addr add 10.77.0.1/24 dev nsrv0
    n addr add 10.77.0.2/24 dev nsrv1
    n addr add fd77::1/64 dev nsrv0 nodad
    n addr add fd77::2/64 dev nsrv1 nodad
    n addr add 2001:db8:aaaa:bbbb:cccc:dddd:eeee:1/64 dev nsrv0 nodad
    n link set nsrv0 up
    n link set nsrv1 up
    n link add nsrv2 type veth peer name nsrv3
    sleep 1.5
    hold_sockets
    sleep 2
    save_state sockets
    local args
    for args in "" -a -an -l -ln -tulpn -tuln -tlnp -ap -anp -ae -aee -aeo -anoe -x -xa -xl -xp -xap \
        -4a -6a -4an -6an -w -wa -wan -u -ua -t -ta -aW -anW -lW -g -gn -i -ia -ie -iae -s -sn -st -su \
        -sw '-s -6' '-s -6 -t' '-s -6 -u' -A\ inet\ -a -A\ inet6,unix\ -a --inet\ -a --unix\ -a \
        --numeric-hosts\ -a --numeric-ports\ -a --numeric-users\ -ae -tua -tuap -tuaWn -xapW; do
        # shellcheck disable=SC2086
        record sockets "case${args// /}" $args
    done
}

# Routing tables (`-r`): IPv4 routes of every kind /proc/net/route shows (gateway, metric, mss,
# window, irtt, host, reject; a route in another table, which it does not show), names from
# /etc/hosts and /etc/networks, IPv6 routes; each layout, table and family choice of `-r`.
scenario_routes() {
    fresh
    cat >"/etc/netns/$NS/hosts" <<'EOF'
127.0.0.1 localhost
10.66.0.2 gwtwo.lab.example gwtwo
10.66.0.9 nine
fd66::2 six-gw
EOF
    printf 'loopback 127.0.0.0\nlabnet 10.67.0.0\nfar 10.69.0.0\n' >"/etc/netns/$NS/networks"
    n link set lo up
    n link add nsrt0 address 02:00:00:00:66:01 type veth peer name nsrt1 address 02:00:00:00:66:02
    n link add a-long-name-x15 type veth peer name nsrt3
    n link set nsrt0 addrgenmode none
    n link set nsrt1 addrgenmode none
    n addr add 10.66.0.1/24 dev nsrt0
    n addr add 10.70.0.1/16 dev nsrt0 label nsrt0:1
    n addr add fd66::1/64 dev nsrt0 nodad
    n link set nsrt0 up
    n link set nsrt1 up
    n link set a-long-name-x15 up
    n link set nsrt3 up
    n addr add 10.71.0.1/24 dev a-long-name-x15
    n route add default via 10.66.0.2
    n route add 10.67.0.0/16 via 10.66.0.9 metric 5 advmss 1360 window 4000 rtt 30
    n route add 10.68.0.7 via 10.66.0.2
    n route add 10.69.0.0/16 dev nsrt0 metric 100
    n route add unreachable 10.72.0.0/24
    n route add blackhole 10.73.0.0/16
    n route add prohibit 10.74.0.0/24 metric 7
    n route add 10.75.0.0/24 via 10.66.0.2 table 100
    n route add 2001:db8:aaaa:bbbb:cccc:dddd::/96 via fd66::2
    n route add unreachable 2001:db8:1::/48
    n route add fd67::/64 dev nsrt0 metric 9
    sleep 1.5
    save_state routes
    local args
    for args in -r -rn -re -rne -ree -rnee -reee -rneee -reeee -rC -rnC -reC -rneC -reeC -rCF -rnCF \
        -rF -rnF -r6 -rn6 -rne6 -rnee6 -rC6 -rnCF6 '-r -A inet6' '-rn -A inet6' '-r -A inet,inet6' \
        '-rn -A inet,inet6' '-rne -A inet6,inet' '-rn -4 -6' '-rn -6 -4' -rv -rnv -rN -rNe \
        '-r --numeric-hosts' '-r --numeric-ports' '-r --numeric-users' '--route' '--route --numeric' \
        -rx '-r -A unix' '-r -A ax25' '-r -A ipx' '-r -A ddp' '-r -A netrom' '-r -A rose' \
        '-r -A x25' '-r --bluetooth' '-r --inet6' '-r --unix' -rt -ru -rtn -ra -rW -rl -rp -ro -rr \
        '-r -i' '-r -s' '-r -M' '-r -g' '-rZ' '-r -A foo'; do
        # shellcheck disable=SC2086
        record routes "case${args// /}" $args
    done
}

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(empty sockets routes)
for s in "${scenarios[@]}"; do
    rm -rf "${dest:?}/$s"
    "scenario_$s"
    cleanup
    echo "recorded $s"
done
