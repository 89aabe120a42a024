#!/bin/bash
# Re-record compat/brctl/<case>/: what the real brctl (bridge-utils) prints for a known
# kernel state, together with that state.
#
# For each scenario a fresh namespace is built; its state is frozen once into
# states/<state>/ and every case recorded against it:
#   states/<state>/sys/class/net/...  a copy of the sysfs files brctl reads (per device: flags,
#                      type, addr_len, address, master link; bridge/* values, brif/,
#                      brforward; brport/* values)
#   states/<state>/ip-link.json       `ip -j -d link show`
#   states/<state>/bridge-link.json   `bridge -j link show`
#   states/<state>/bridge-fdb.json    `bridge -j fdb show`
#   <case>/stdout, stderr, status     the real brctl run **on that very copy**: inside
#                      `ip netns exec NS unshare -m`, the copy is bind-mounted over
#                      /sys/class/net, so moving timers (gc timer, learned entries' ageing)
#                      are frozen and the recording is exact. Ioctls brctl falls back to
#                      (names of 16+ bytes, missing devices) still reach the live namespace,
#                      which holds the same state. Only commands that change nothing are
#                      recorded.
#   <case>/meta        the argv, the state, brctl/iproute2/kernel versions, the date.
#   <case>/state       a symlink to ../states/<state>.
#
# Usage (root): compat/record-brctl.sh        (rewrites compat/brctl/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/brctl
NS=bcrec$$
HOSTS=()

cleanup() {
    ip netns del "$NS" 2>/dev/null || true
    for h in "${HOSTS[@]}"; do ip netns del "$h" 2>/dev/null || true; done
}
trap cleanup EXIT

in_ns() { ip netns exec "$NS" "$@"; }

fresh_ns() {
    cleanup
    HOSTS=()
    ip netns add "$NS"
    ip -n "$NS" link set lo up
}

# veth pair NAME (in NS, with MAC) <-> peer ${NAME}p (in NS, down unless told)
veth() {
    ip -n "$NS" link add "$1" address "$2" type veth peer name "${1}p"
}

copy_sys() {
    local dest=$1
    in_ns sh -c '
        dest=$1
        for d in /sys/class/net/*; do
            n=${d##*/}; o=$dest/$n; mkdir -p "$o"
            for f in address addr_len flags type; do
                v=$(cat "$d/$f" 2>/dev/null) && printf "%s\n" "$v" > "$o/$f"
            done
            if [ -d "$d/bridge" ]; then
                mkdir "$o/bridge" "$o/brif"
                for f in root_id bridge_id root_path_cost max_age hello_time forward_delay \
                         ageing_time hello_timer tcn_timer topology_change_timer gc_timer \
                         root_port stp_state topology_change topology_change_detected priority; do
                    v=$(cat "$d/bridge/$f") && printf "%s\n" "$v" > "$o/bridge/$f"
                done
                for p in "$d"/brif/*; do
                    [ -e "$p" ] && ln -s "../../${p##*/}" "$o/brif/${p##*/}"
                done
                cat "$d/brforward" > "$o/brforward"
            fi
            if [ -d "$d/brport" ]; then
                mkdir "$o/brport"
                for f in designated_root designated_bridge port_no port_id designated_port \
                         path_cost designated_cost state change_ack config_pending priority \
                         message_age_timer forward_delay_timer hold_timer hairpin_mode; do
                    v=$(cat "$d/brport/$f") && printf "%s\n" "$v" > "$o/brport/$f"
                done
            fi
            if [ -L "$d/master" ]; then
                m=$(readlink "$d/master"); ln -s "../${m##*/}" "$o/master"
            fi
        done' copy "$dest"
}

# freeze STATE: copy the namespace's sysfs and dump `ip -j`/`bridge -j` of the same moment.
freeze() {
    STATE=$1
    local dir=$out/states/$STATE
    rm -rf "$dir"; mkdir -p "$dir/sys/class/net"
    copy_sys "$dir/sys/class/net"
    ip -n "$NS" -j -d link show > "$dir/ip-link.json"
    bridge -n "$NS" -j link show > "$dir/bridge-link.json"
    bridge -n "$NS" -j fdb show > "$dir/bridge-fdb.json"
}

# record CASE ARGS...: one brctl run on the frozen copy of the current STATE.
record() {
    local case=$1; shift
    local dir=$out/$case
    local sys=$out/states/$STATE/sys/class/net
    rm -rf "$dir"; mkdir -p "$dir"
    ln -s "../states/$STATE" "$dir/state"
    set +e
    in_ns unshare -m sh -c 'mount --bind "$1" /sys/class/net && shift && exec brctl "$@"' \
        rec "$sys" "$@" > "$dir/stdout" 2> "$dir/stderr"
    echo $? > "$dir/status"
    set -e
    {
        printf 'args'; [ $# -eq 0 ] || printf ' %q' "$@"; printf '\n'
        echo "state $STATE"
        echo "tool $(brctl -V)"
        echo "package bridge-utils $(dpkg-query -W -f='${Version}' bridge-utils 2>/dev/null || echo unknown)"
        echo "iproute2 $(ip -V)"
        echo "kernel $(uname -r)"
        echo "recorded $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } > "$dir/meta"
    echo "recorded $case: brctl $* (rc $(cat "$dir/status"))"
}

mkdir -p "$out"
find "$out" -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +

# --- no bridges at all, and pure grammar answers (no kernel state involved) -----------------
fresh_ns
freeze empty
record empty-show show
record empty-show-missing show nosuch
record empty-showmacs-lo showmacs lo
record empty-showmacs-missing showmacs nosuch
record empty-showstp-lo showstp lo
record usage-no-args
record usage-help -h
record usage-version -V
record usage-long-version --version
record usage-unknown-command frob
record usage-too-few addbr
record usage-negative-number setageing x -5
record usage-unknown-long-option --foo=bar
record value-bad-time setfd x abc
record value-bad-onoff stp x On
record value-bad-prio setbridgeprio x prio
record value-bad-cost setpathcost x y cost

# --- a lab: a bridge with three ports, a port-less STP bridge, a truncated long name ---------
fresh_ns
in_ns brctl addbr hobr0
in_ns brctl addbr hobr1
in_ns brctl addbr hobridge_long_name
for i in 0 1 2; do veth "hoveth$i" "02:00:00:00:00:0$((i + 1))"; done
in_ns brctl addif hobr0 hoveth2 hoveth0 hoveth1
in_ns brctl stp hobr1 on
in_ns brctl setbridgeprio hobr1 70000
in_ns brctl setportprio hobr0 hoveth1 20
in_ns brctl setpathcost hobr0 hoveth2 77
in_ns brctl hairpin hobr0 hoveth0 on
in_ns brctl setageing hobr0 12.34
in_ns brctl setfd hobr0 1.5
freeze lab
record lab-show show
record lab-show-args show hobr1 hobr0 hobr0 nosuch hoveth0
record lab-show-long-name show hobridge_long_name
record lab-showstp showstp hobr0
record lab-showstp-portless showstp hobr1
record lab-showmacs showmacs hobr0
record lab-showmacs-portless showmacs hobr1
record lab-error-addbr-exists addbr hoveth0
record lab-error-delbr-missing delbr nosuch
record lab-error-delbr-not-bridge delbr hoveth0
record lab-error-addif-no-interface addif hobr0 nosuch
record lab-error-addif-no-bridge addif nosuch hoveth0p
record lab-error-addif-member addif hobr1 hoveth0
record lab-error-addif-lo addif hobr0 lo
record lab-error-addif-bridge addif hobr0 hobr1
record lab-error-addif-not-bridge addif hoveth0p hoveth1p
record lab-error-delif-not-port delif hobr0 hoveth0p
record lab-error-delif-not-bridge delif hoveth0p hoveth0
record lab-error-hairpin-not-port hairpin hobr0 hoveth0p on
record lab-error-setpathcost-not-port setpathcost hobr0 hoveth0p 5
record lab-error-setpathcost-missing setpathcost hobr0 nosuch 5
record lab-error-setportprio-not-bridge setportprio hoveth0 hoveth0p 5
record lab-error-stp-missing stp nosuch on
record lab-error-setfd-not-bridge setfd hoveth0 2

# --- sort orders: byte order for bridges and ports, not numeric ------------------------------
fresh_ns
for b in hoBR hoa hobr-y hobr01 hobr1 hobr10 hobr1z hobr9 hobr_x; do in_ns brctl addbr "$b"; done
n=1
for p in hov hoport_x hoport9 hoport1z hoport10 hoport1 hoPORT; do
    veth "$p" "02:00:00:00:01:0$n"; n=$((n + 1))
    in_ns brctl addif hoBR "$p"
done
freeze order
record order-show show
record order-showstp showstp hoBR

# --- forwarding database: learned, static and permanent entries; STP on; hairpin -------------
fresh_ns
in_ns brctl addbr hobr0
for i in 1 2; do
    h=${NS}h$i; HOSTS+=("$h"); ip netns add "$h"
    ip -n "$NS" link add "hoveth$i" address "02:bb:00:00:00:0$i" type veth peer name eth0 netns "$h" address "02:aa:00:00:00:0$i"
    ip -n "$h" addr add "10.9.0.$i/24" dev eth0
    ip -n "$h" link set eth0 up
    in_ns brctl addif hobr0 "hoveth$i"
    ip -n "$NS" link set "hoveth$i" up
done
ip -n "$NS" link set hobr0 up
bridge -n "$NS" fdb add 00:aa:00:00:00:09 dev hoveth1 master static
bridge -n "$NS" fdb add 02:cc:00:00:00:05 dev hoveth2 master
sleep 0.2
ip netns exec "${NS}h1" ping -c 2 -i 0.2 -W 1 10.9.0.2 > /dev/null
freeze fdb
record fdb-showmacs showmacs hobr0
record fdb-show show
in_ns brctl stp hobr0 on
in_ns brctl setfd hobr0 2
in_ns brctl hairpin hobr0 hoveth2 on
sleep 0.5
freeze fdb-stp
record fdb-showstp-stp-on showstp hobr0
record fdb-showmacs-stp-on showmacs hobr0
