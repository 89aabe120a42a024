#!/bin/bash
# Benchmark: `nslab ifconfig IFACE …` (configuration) against the real net-tools ifconfig and
# the plain iproute2 commands doing the same change, inside a throwaway namespace.
# Prints the median of each and the ratios. Needs root, hyperfine, net-tools.
#   bench/ifconfig_set.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
nslab=target/release/nslab
[ -x "$nslab" ] || cargo build --release --quiet
for t in hyperfine ifconfig ip python3; do
    command -v "$t" >/dev/null || { echo "missing: $t" >&2; exit 1; }
done
ns="isbench$$"
out=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link add v0 address 02:00:00:00:00:01 type veth peer name v1
ip -n "$ns" link set v1 up

# name | change words | the same with ip | state reset before each run
cases=(
    "address+netmask+up|v0 10.0.0.1 netmask 255.255.255.0 up|ip -n $ns -batch -|ip -n $ns addr flush dev v0; ip -n $ns link set v0 down"
    "mtu|v0 mtu 1400|ip -n $ns link set dev v0 mtu 1400|ip -n $ns link set dev v0 mtu 1500"
    "alias add|v0 add 10.0.0.7|ip -n $ns addr add 10.0.0.7/24 broadcast 10.0.0.255 label v0:0 dev v0|ip -n $ns addr flush dev v0; ip -n $ns addr add 10.0.0.1/24 broadcast 10.0.0.255 dev v0; ip -n $ns link set v0 up"
)
batch=$'addr add 10.0.0.1/24 broadcast 10.0.0.255 dev v0\nlink set dev v0 up'

printf '%-20s %12s %12s %12s %10s %10s\n' case ifconfig nslab ip nslab/ifc nslab/ip
for c in "${cases[@]}"; do
    IFS='|' read -r name words ipcmd reset <<<"$c"
    if [ "$ipcmd" = "ip -n $ns -batch -" ]; then
        ipcmd="printf '%s\n' '$batch' | ip -n $ns -batch -"
    fi
    hyperfine --runs "$runs" --warmup 3 -N --export-json "$out/r.json" \
        --prepare "sh -c '$reset'" \
        "ip netns exec $ns ifconfig $words" \
        "ip netns exec $ns $nslab ifconfig $words" >/dev/null 2>&1
    hyperfine --runs "$runs" --warmup 3 --export-json "$out/i.json" \
        --prepare "sh -c '$reset'" "$ipcmd" >/dev/null 2>&1
    python3 - "$out/r.json" "$out/i.json" "$name" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
i = json.load(open(sys.argv[2]))["results"]
real, nslab, ip = (x["median"] * 1000 for x in (r[0], r[1], i[0]))
print(f"{sys.argv[3]:<20} {real:10.2f}ms {nslab:10.2f}ms {ip:10.2f}ms {nslab/real:9.2f}x {nslab/ip:9.2f}x")
EOF
done
echo "(medians over $runs runs; ifconfig and nslab both under 'ip netns exec', ip uses -n)"
