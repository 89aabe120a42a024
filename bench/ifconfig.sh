#!/bin/bash
# `nslab ifconfig -a` against the real net-tools `ifconfig -a`, in a namespace with 4 and
# with 100 interfaces (lo + veths whose peers live in a second namespace, each up with an
# IPv4 address; IPv6 link-local addresses come by themselves). hyperfine runs inside the
# namespace, so neither side pays for entering it. Prints wall-clock medians and their ratio,
# and mean CPU time (user + system) of each side.
#
# Usage (root): bench/ifconfig.sh        Needs: hyperfine, jq, net-tools, iproute2.
# Target: nslab at most 1.5x the real tool at 4 interfaces, faster than it at 100.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
NSLAB=${NSLAB:-$root/target/release/nslab}
IFCONFIG=${IFCONFIG:-/usr/sbin/ifconfig}
[ -x "$NSLAB" ] || (cd "$root" && cargo build --release --quiet)
NS=icbench$$
PEER=icbenp$$
tmp=$(mktemp -d)
cleanup() {
    ip netns del "$NS" 2>/dev/null || true
    ip netns del "$PEER" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

build() { # build N: lo + N-1 veths
    local count=$1 i
    cleanup
    mkdir -p "$tmp"
    ip netns add "$NS"
    ip netns add "$PEER"
    {
        echo "link set lo up"
        for i in $(seq 1 $((count - 1))); do
            echo "link add icb$i type veth peer name icp$i netns $PEER"
            echo "addr add 10.$((i / 250)).$((i % 250)).1/24 dev icb$i"
            echo "link set icb$i up"
        done
    } | ip -n "$NS" -batch -
    seq 1 $((count - 1)) | sed 's/.*/link set icp& up/' | ip -n "$PEER" -batch -
    sleep 1.5 # let linkwatch settle operstates
}

# The floor: nslab's output is built from one `ip -j -s -s addr show`, so it cannot take less
# than that process alone plus starting nslab itself (a process that does nothing, /bin/true,
# shows what any process start costs here). Printed beside the contenders, as ratios to the
# real ifconfig.
IPDATA="$(command -v ip) -j -s -s addr show"
printf '%-12s %12s %12s %8s %14s %14s %12s %12s\n' interfaces "ifconfig ms" "nslab ms" ratio \
    "ifconfig cpu" "nslab cpu" "ip-data/real" "true ms"
for count in 4 100; do
    build "$count"
    ip netns exec "$NS" hyperfine -N --warmup 20 --runs 300 --style none \
        --export-json "$tmp/r.json" \
        "$IFCONFIG -a" "$NSLAB ifconfig -a" "$IPDATA" /bin/true >/dev/null
    real=$(jq '.results[0].median * 1000' "$tmp/r.json")
    ours=$(jq '.results[1].median * 1000' "$tmp/r.json")
    # CPU time (user + system, mean, children included): less sensitive to a loaded machine.
    real_cpu=$(jq '(.results[0].user + .results[0].system) * 1000' "$tmp/r.json")
    ours_cpu=$(jq '(.results[1].user + .results[1].system) * 1000' "$tmp/r.json")
    ipdata=$(jq '.results[2].median * 1000' "$tmp/r.json")
    spawn=$(jq '.results[3].median * 1000' "$tmp/r.json")
    printf '%-12s %12.2f %12.2f %8.2f %14.2f %14.2f %12.2f %12.2f\n' "$count" "$real" "$ours" \
        "$(echo "$ours / $real" | bc -l)" "$real_cpu" "$ours_cpu" \
        "$(echo "$ipdata / $real" | bc -l)" "$spawn"
done
