#!/usr/bin/env bash
# What it costs to run `true` inside a network namespace:
#   nslab exec NS true              (the semantics of ip netns exec)
#   ip netns exec NS true
#   nsenter --net=/run/netns/NS true
#   nslab exec --no-mount NS true   (the semantics of nsenter --net)
#   /bin/true                       (the floor: one exec of a small dynamic binary)
# once with a few named namespaces on the system and once with 500 more: each is a bind
# mount under /run/netns, which unshare(CLONE_NEWNS) copies, so the mount steps get slower.
# The commands are timed in alternating rounds (hyperfine, ROUNDS × RUNS/ROUNDS runs each)
# so that load from other processes falls on all of them alike; medians are over all runs.
# On a busy machine the 10th percentiles (also printed) are closer to what a quiet one gives.
# Goals: nslab exec <= 0.85 × ip netns exec; nslab exec --no-mount <= nsenter --net.
# Needs root, hyperfine and jq; builds and uses the release binary (`cargo build --release`),
# or with --static a statically linked one (glibc static-pie: no dynamic loader at start-up),
# built as bench/brctl.sh does: RUSTFLAGS=-Ctarget-feature=+crt-static with an explicit
# --target (so proc macros stay dynamic), in target/static/.
#
#   bench/exec.sh [--static] [RUNS] [ROUNDS]   (defaults: 1000 runs per command, 10 rounds)
set -euo pipefail

static=no
if [ "${1:-}" = --static ]; then static=yes; shift; fi
runs=${1:-1000}
rounds=${2:-10}
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/exec.sh: needs root" >&2; exit 1; }
for t in hyperfine jq ip nsenter; do
    command -v "$t" >/dev/null || { echo "bench/exec.sh: needs $t" >&2; exit 1; }
done
if [ $static = yes ]; then
    triple=$(rustc -vV | sed -n 's/^host: //p')
    RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --quiet \
        --target "$triple" --target-dir target/static
    nslab=$PWD/target/static/$triple/release/nslab
else
    cargo build --release --quiet
    nslab=$PWD/target/release/nslab
fi
echo "nslab: $nslab ($(file -b "$nslab" | grep -o -E 'static-pie linked|dynamically linked|statically linked'))"

tag="bx$$"        # unique to this run; names stay within 15 bytes
ns="${tag}a"
many=500
tmp=$(mktemp -d)
cleanup() {
    for i in $(seq 1 "$many"); do echo "netns del ${tag}m$i"; done | ip -force -batch - 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns"
ip -n "$ns" link set lo up

# bench LABEL: time the five commands, print medians (µs) and ratios.
bench() {
    local label=$1 r
    echo "== $label: $(ls /run/netns | wc -l) named namespaces, $(wc -l </proc/self/mountinfo) mounts; load $(cut -d' ' -f1 /proc/loadavg)"
    for r in $(seq 1 "$rounds"); do
        hyperfine -N --style none --warmup 5 --runs $((runs / rounds)) \
            --export-json "$tmp/$label.$r.json" \
            -n "nslab exec" "$nslab exec $ns true" \
            -n "ip netns exec" "ip netns exec $ns true" \
            -n "nsenter --net" "nsenter --net=/run/netns/$ns true" \
            -n "nslab exec --no-mount" "$nslab exec --no-mount $ns true" \
            -n "/bin/true" "/bin/true" >/dev/null 2>"$tmp/err" \
            || { cat "$tmp/err" >&2; exit 1; }
    done
    jq -rs '
        def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                           else (.[length / 2 - 1] + .[length / 2]) / 2 end;
        def p10: sort | .[length / 10 | floor];
        def us: . * 1e6 | round;
        def r2: . * 100 | round / 100;
        (map(.results[]) | group_by(.command)) as $g
        | ($g | map({key: .[0].command, value: (map(.times[]) | median)}) | from_entries) as $m
        | ($g | map({key: .[0].command, value: (map(.times[]) | p10)}) | from_entries) as $p
        | ("nslab exec", "ip netns exec", "nsenter --net", "nslab exec --no-mount", "/bin/true"
           | "  \(. + " " * (24 - length)) median \($m[.] | us) µs   (10th percentile \($p[.] | us) µs)"),
          "  nslab exec / ip netns exec            \($m["nslab exec"] / $m["ip netns exec"] | r2)  (goal <= 0.85)",
          "  nslab exec --no-mount / nsenter --net \($m["nslab exec --no-mount"] / $m["nsenter --net"] | r2)  (goal <= 1.00)",
          "  above /bin/true: nslab exec \($m["nslab exec"] - $m["/bin/true"] | us) µs, ip netns exec \($m["ip netns exec"] - $m["/bin/true"] | us) µs"
    ' "$tmp/$label".*.json
}

bench few
for i in $(seq 1 "$many"); do echo "netns add ${tag}m$i"; done | ip -batch -
bench many
