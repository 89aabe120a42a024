#!/bin/bash
# `nslab brctl show` against the real `brctl show` (bridge-utils), on a bridge with 4 ports
# and on one with 100 ports. Both run inside the bridge's namespace (`ip netns exec`, so
# /sys describes it), under hyperfine without a shell (-N). Prints medians and ratios.
# Two nslab builds are measured: the default release build (dynamically linked) and a
# static-pie release build (`-C target-feature=+crt-static`, built with an explicit --target
# so proc-macros stay dynamic) in target/static/. A Rust binary spends most of a 1–2 ms run
# in the dynamic loader; linked statically it starts about as fast as the C tool.
# Run as root from anywhere: bench/brctl.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
triple=$(rustc -vV | sed -n 's/^host: //p')
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --quiet \
    --manifest-path "$root/Cargo.toml" --target "$triple" --target-dir "$root/target/static"
NSLAB=$root/target/release/nslab
NSLAB_STATIC=$root/target/static/$triple/release/nslab
BRCTL=$(command -v brctl || echo /usr/sbin/brctl)
tmp=$(mktemp -d)
namespaces=()
cleanup() {
    for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

# Medians are what the target is about; minimums show the cost without scheduling noise
# (this machine is often shared).
printf '%-6s %-7s %12s %14s %8s %14s %8s\n' ports stat "brctl (ms)" "nslab (ms)" ratio \
    "static (ms)" ratio
for ports in 4 100; do
    ns=bcbench$$p$ports
    namespaces+=("$ns")
    ip netns add "$ns"
    {
        echo "link add name br0 type bridge"
        for i in $(seq 1 "$ports"); do
            echo "link add name p$i type veth peer name q$i"
            echo "link set dev p$i master br0"
        done
    } | ip -n "$ns" -batch -
    # Same output first: a benchmark of different work would mean nothing.
    if ! diff <(ip netns exec "$ns" "$BRCTL" show) <(ip netns exec "$ns" "$NSLAB" brctl show) > /dev/null; then
        echo "outputs differ for $ports ports" >&2
        exit 1
    fi
    ip netns exec "$ns" hyperfine -N --warmup 50 --runs 500 --style none \
        --export-json "$tmp/$ports.json" \
        "$BRCTL show" "$NSLAB brctl show" "$NSLAB_STATIC brctl show" > /dev/null
    for stat in median min; do
        real=$(jq ".results[0].$stat * 1000" "$tmp/$ports.json")
        ours=$(jq ".results[1].$stat * 1000" "$tmp/$ports.json")
        stat_=$(jq ".results[2].$stat * 1000" "$tmp/$ports.json")
        printf '%-6s %-7s %12.3f %14.3f %7.2fx %14.3f %7.2fx\n' "$ports" "$stat" "$real" "$ours" \
            "$(echo "$ours / $real" | bc -l)" "$stat_" "$(echo "$stat_ / $real" | bc -l)"
    done
done
