#!/bin/bash
# `nslab netstat -tulpn` against the real net-tools `netstat -tulpn`, in a namespace holding
# about 1,000 sockets (listening TCP on IPv4 and IPv6, UDP, one process: python3). Both run
# inside the namespace, alternately, RUNS times each; prints the median wall-clock time of
# each side and their ratio (nslab / real; below 1 means nslab is faster). The outputs are
# compared first: a benchmark of different answers would mean nothing.
#
# Usage (root): bench/netstat.sh [SOCKETS] [RUNS]      Needs: net-tools, iproute2, python3.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
NSLAB=${NSLAB:-$root/target/release/nslab}
[ -x "$NSLAB" ] || (cd "$root" && cargo build --release --quiet)
SOCKETS=${1:-1000}
RUNS=${2:-30}
NS=nsbench$$
holder=
cleanup() {
    if [ -n "$holder" ]; then kill "$holder" 2>/dev/null || true; wait "$holder" 2>/dev/null || true; fi
    ip netns del "$NS" 2>/dev/null || true
    rm -f "/tmp/$NS.ready"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 10.99.0.1/32 dev lo
ulimit -n 8192
ip netns exec "$NS" python3 - "$SOCKETS" "/tmp/$NS.ready" <<'EOF' &
import socket, sys, time
n, ready = int(sys.argv[1]), sys.argv[2]
keep = []
for i in range(n):
    kind = i % 4
    if kind == 3:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('10.99.0.1', 30000 + i))
    else:
        fam, addr = (socket.AF_INET6, '::1') if kind == 2 else (socket.AF_INET, '10.99.0.1')
        s = socket.socket(fam, socket.SOCK_STREAM); s.bind((addr, 30000 + i)); s.listen(1)
    keep.append(s)
open(ready, 'w').close()
time.sleep(3600)
EOF
holder=$!
for _ in $(seq 1 100); do [ -e "/tmp/$NS.ready" ] && break; sleep 0.1; done

real() { ip netns exec "$NS" netstat -tulpn; }
ours() { ip netns exec "$NS" "$NSLAB" netstat -tulpn; }
if ! diff <(real 2>&1) <(ours 2>&1) >/dev/null; then
    echo "outputs differ; not timing" >&2
    diff <(real 2>&1) <(ours 2>&1) | head >&2
    exit 1
fi
lines=$(real | wc -l)

# Time inside the namespace (one `ip netns exec` around the whole loop, not per run).
timeit() { # timeit COMMAND… : median milliseconds of RUNS runs
    ip netns exec "$NS" bash -c '
        runs=$1; shift
        for _ in $(seq 1 "$runs"); do
            s=$EPOCHREALTIME; "$@" >/dev/null 2>&1; e=$EPOCHREALTIME
            echo "$s $e"
        done' _ "$RUNS" "$@" |
        awk '{ print ($2 - $1) * 1000 }' | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'
}
r=$(timeit netstat -tulpn)
o=$(timeit "$NSLAB" netstat -tulpn)
printf '%-8s %-6s %12s %12s %8s\n' sockets lines "netstat ms" "nslab ms" ratio
printf '%-8s %-6s %12s %12s %8.2f\n' "$SOCKETS" "$lines" "$r" "$o" "$(echo "$o / $r" | bc -l)"
