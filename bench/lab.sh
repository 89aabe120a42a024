#!/usr/bin/env bash
# Lab build benchmark, in one run with paired rounds (each round times every contender once,
# in turn, so machine drift hits them alike). Prints medians and ratios.
#
#   default lab (4 hosts) up+down:
#     nslab          nslab up + nslab down
#     (a) slides     one process per command as typed: ip netns add, ip netns exec NS ip link
#                    add … peer …, ip link set … netns, ip netns exec NS ifconfig …, brctl
#     (b) ip-batch   a hand-written minimal `ip -batch` script (1 root + 1 per namespace)
#   star labs (100 and 500 spokes routed by a hub namespace): nslab vs (b)
#   flat star labs (one bridge in a hub host, every host in one /8) of 100, 1,000 and 2,000
#     hosts (2,000: two 1,000-host stars whose bridges are joined by a veth) vs the same lab
#     as a hand-written batch script: up+down, ratio, per-host cost (linearity: 2,000 vs
#     100), and nslab's peak memory at 2,000 hosts
#   nslab check on the 4-host lab and the 100- and 500-host routed stars (all ordered pairs),
#     minus the cost of starting nslab at all (`nslab --version`)
# Every figure is printed with the load average when it was taken (the machine may be shared).
#
# Usage (as root): bench/lab.sh [ROUNDS [FLAT_ROUNDS]]   (needs a release build: cargo build
#   --release). FLAT_ROUNDS (default 1) is for the 1,000- and 2,000-host labs, each round of
#   which takes a minute or more of both cores. SKIP_FLAT=1 skips those two.
# Needs: iproute2, net-tools, bridge-utils, GNU time (/usr/bin/time: apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7}
FLAT_ROUNDS=${2:-1}
NSLAB=${NSLAB:-target/release/nslab}
[ -x "$NSLAB" ] || { echo "build first: cargo build --release" >&2; exit 1; }
P="b$(( $$ % 10000 ))"         # every name this script makes starts with this (short: names <= 15 bytes)
TMP=$(mktemp -d)
cleanup() {
  for ns in $(ip netns list | awk '{print $1}' | grep "^$P" || true); do ip netns del "$ns" 2>/dev/null || true; done
  for f in /run/nslab/"$P"*.json; do [ -e "$f" ] && "$NSLAB" down "$(basename "$f" .json)" >/dev/null 2>&1; done
  rm -rf "$TMP"
}
trap cleanup EXIT

# Times come from bash's $EPOCHREALTIME (seconds, microsecond resolution): reading it starts
# no process, where `$(date +%s%N)` would add a fork and an exec (~1.5 ms here) to every
# interval, the same for every contender, which pulls all the ratios towards 1.
export LC_ALL=C
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) * 1000 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- the default lab three ways --------------------------------------------------------------
slides_up() {
  local p=$1 i
  for i in 1 2 3 4; do ip netns add "${p}ns$i"; done
  for i in 1 2 3 4; do
    ip netns exec "${p}ns$i" ip link add veth0 type veth peer name "bveth$i"
    ip netns exec "${p}ns$i" ip link set "bveth$i" netns "${p}ns1"
  done
  for i in 1 2 3 4; do
    ip netns exec "${p}ns$i" ifconfig veth0 "10.0.0.$i/24"
    ip netns exec "${p}ns$i" ifconfig lo up
  done
  ip netns exec "${p}ns1" brctl addbr br0
  ip netns exec "${p}ns1" ifconfig br0 up
  for i in 1 2 3 4; do
    ip netns exec "${p}ns1" brctl addif br0 "bveth$i"
    ip netns exec "${p}ns1" ifconfig "bveth$i" up
  done
}
slides_down() { local p=$1 i; for i in 1 2 3 4; do ip netns del "${p}ns$i"; done; }

# (b) for the star labs of N hosts: a hub namespace routing for N-1 spokes, each spoke on its own
# /24 (10.X.Y.0/24: spoke .2, hub .1) with a default route via the hub. (A flat bridge with
# hundreds of hosts cannot be checked all-pairs: the kernel's ARP table holds at most
# gc_thresh3 = 1024 entries across all namespaces.)
net_of() { echo "10.$(( $1 / 250 )).$(( $1 % 250 ))"; }
star_batch_up() { # prefix N
  local p=$1 n=$2 i
  { echo "netns add ${p}hub"
    for i in $(seq 1 "$n"); do echo "netns add ${p}h$i"; done
    for i in $(seq 1 "$n"); do echo "link add name veth0 netns ${p}h$i type veth peer name e$i netns ${p}hub"; done
  } | ip -batch -
  { for i in $(seq 1 "$n"); do echo "addr add $(net_of "$i").1/24 broadcast + dev e$i"; done
    echo "link set dev lo up"
    for i in $(seq 1 "$n"); do echo "link set dev e$i up"; done
  } | ip -n "${p}hub" -batch -
  ip netns exec "${p}hub" sysctl -qw net.ipv4.ip_forward=1
  for i in $(seq 1 "$n"); do
    printf 'addr add %s.2/24 broadcast + dev veth0\nlink set dev lo up\nlink set dev veth0 up\nroute add default via %s.1\n' \
      "$(net_of "$i")" "$(net_of "$i")" | ip -n "${p}h$i" -batch -
  done
}
star_batch_down() { # prefix N
  local p=$1 n=$2 i
  { echo "netns del ${p}hub"; for i in $(seq 1 "$n"); do echo "netns del ${p}h$i"; done; } | ip -batch -
}
batch_down() { # prefix names...
  local p=$1; shift
  local h; for h in "$@"; do echo "netns del $p$h"; done | ip -batch -
}

# The default lab by hand: hub ns1 holds br0 and is itself host 1 (veth0 10.0.0.1 <-> bveth1).
default_batch_up() {
  local p=$1
  printf 'netns add %sns1\nnetns add %sns2\nnetns add %sns3\nnetns add %sns4\n' "$p" "$p" "$p" "$p" > "$TMP/root.batch"
  for i in 1 2 3 4; do echo "link add name veth0 netns ${p}ns$i type veth peer name bveth$i netns ${p}ns1"; done >> "$TMP/root.batch"
  ip -batch - < "$TMP/root.batch"
  {
    echo "link add name br0 type bridge"
    echo "addr add 10.0.0.1/24 broadcast + dev veth0"
    for i in 1 2 3 4; do echo "link set dev bveth$i master br0"; done
    echo "link set dev lo up"; echo "link set dev br0 up"; echo "link set dev veth0 up"
    for i in 1 2 3 4; do echo "link set dev bveth$i up"; done
  } | ip -n "${p}ns1" -batch -
  for i in 2 3 4; do
    printf 'addr add 10.0.0.%s/24 broadcast + dev veth0\nlink set dev lo up\nlink set dev veth0 up\n' "$i" | ip -n "${p}ns$i" -batch -
  done
}

# The same star lab as a lab file for nslab.
star_lab() { # N file: the hub and N-1 spokes, N hosts in all
  local n=$(( $1 - 1 )) f=$2 i
  {
    echo "name = \"st$1\""
    echo '[[hosts]]'; echo 'name = "hub"'; echo 'sysctl = { "net.ipv4.ip_forward" = 1 }'
    for i in $(seq 1 "$n"); do
      echo '[[hosts]]'; echo "name = \"h$i\""
      echo "routes = [{ to = \"default\", via = \"$(net_of "$i").1\" }]"
    done
    for i in $(seq 1 "$n"); do
      echo '[[links]]'
      echo "a = { host = \"h$i\", name = \"veth0\", addrs = [\"$(net_of "$i").2/24\"] }"
      echo "b = { host = \"hub\", name = \"e$i\", addrs = [\"$(net_of "$i").1/24\"] }"
    done
  } > "$f"
}

# --- flat stars: STARS stars of SPOKES+1 hosts (hub kK holds bridge brK; spokes sKhI), all
# addresses in 10.0.0.0/8; with two stars, veth x1-x2 joins br1 and br2.
ip4_of() { echo "10.$(( $1 / 65536 )).$(( $1 / 256 % 256 )).$(( $1 % 256 ))"; }
flat_lab() { # STARS SPOKES name file
  local s=$1 m=$2 name=$3 f=$4 k i
  {
    echo "name = \"$name\""
    for k in $(seq 1 "$s"); do
      echo '[[hosts]]'; echo "name = \"k$k\""
      for i in $(seq 1 "$m"); do echo '[[hosts]]'; echo "name = \"s${k}h$i\""; done
    done
    for k in $(seq 1 "$s"); do
      echo '[[bridges]]'; echo "name = \"br$k\""; echo "host = \"k$k\""; echo "addrs = [\"$(ip4_of $(( k * 1000 )))/8\"]"
    done
    for k in $(seq 1 "$s"); do
      for i in $(seq 1 "$m"); do
        echo '[[links]]'
        echo "a = { host = \"s${k}h$i\", name = \"veth0\", addrs = [\"$(ip4_of $(( k * 1000 + i )))/8\"] }"
        echo "b = { bridge = \"br$k\", name = \"e$i\" }"
      done
    done
    if [ "$s" = 2 ]; then
      echo '[[links]]'; echo 'a = { bridge = "br1", name = "x1" }'; echo 'b = { bridge = "br2", name = "x2" }'
    fi
  } > "$f"
}
# The same by hand: one root batch (namespaces, veths), one batch per hub (bridge, address,
# ports, ups), the joining veth, one batch per spoke (address, lo and veth0 up).
flat_batch_up() { # prefix STARS SPOKES
  local p=$1 s=$2 m=$3 k i
  { for k in $(seq 1 "$s"); do echo "netns add ${p}k$k"; for i in $(seq 1 "$m"); do echo "netns add ${p}s${k}h$i"; done; done
    for k in $(seq 1 "$s"); do for i in $(seq 1 "$m"); do echo "link add name veth0 netns ${p}s${k}h$i type veth peer name e$i netns ${p}k$k"; done; done
    if [ "$s" = 2 ]; then echo "link add name x1 netns ${p}k1 type veth peer name x2 netns ${p}k2"; fi
  } | ip -batch -
  for k in $(seq 1 "$s"); do
    { echo "link add name br$k type bridge"
      echo "addr add $(ip4_of $(( k * 1000 )))/8 broadcast + dev br$k"
      for i in $(seq 1 "$m"); do echo "link set dev e$i master br$k"; done
      if [ "$s" = 2 ]; then echo "link set dev x$k master br$k"; fi
      echo "link set dev lo up"; echo "link set dev br$k up"
      for i in $(seq 1 "$m"); do echo "link set dev e$i up"; done
      if [ "$s" = 2 ]; then echo "link set dev x$k up"; fi
    } | ip -n "${p}k$k" -batch -
  done
  for k in $(seq 1 "$s"); do for i in $(seq 1 "$m"); do
    printf 'addr add %s/8 broadcast + dev veth0\nlink set dev lo up\nlink set dev veth0 up\n' "$(ip4_of $(( k * 1000 + i )))" | ip -n "${p}s${k}h$i" -batch -
  done; done
}
flat_batch_down() { # prefix STARS SPOKES
  local p=$1 s=$2 m=$3 k i
  { for k in $(seq 1 "$s"); do echo "netns del ${p}k$k"; for i in $(seq 1 "$m"); do echo "netns del ${p}s${k}h$i"; done; done; } | ip -batch -
}
load() { cut -d' ' -f1-3 /proc/loadavg; }

# `ip netns del` returns before the kernel has torn the namespace down (that runs later in a
# kernel worker and holds the rtnl lock): give it time after every contender's teardown, so
# no contender is timed while the previous one's namespaces are still being destroyed. The
# pause is not timed.
settle() { sleep "${SETTLE:-0.5}"; }

declare -A T
record() { T[$1]+="$2 "; }
med() { tr ' ' '\n' <<< "${T[$1]}" | grep . | median; }

echo "== default lab (4 hosts): up+down, $ROUNDS paired rounds"
for r in $(seq 1 "$ROUNDS"); do
  p="${P}n$r-"; a=$EPOCHREALTIME; "$NSLAB" up --prefix "$p" 2>/dev/null; "$NSLAB" down --prefix "$p" 2>/dev/null; b=$EPOCHREALTIME; record nslab "$(ms "$a" "$b")"; settle
  p="${P}s$r-"; a=$EPOCHREALTIME; slides_up "$p"; slides_down "$p"; b=$EPOCHREALTIME; record slides "$(ms "$a" "$b")"; settle
  p="${P}b$r-"; a=$EPOCHREALTIME; default_batch_up "$p"; batch_down "$p" ns1 ns2 ns3 ns4; b=$EPOCHREALTIME; record batch "$(ms "$a" "$b")"; settle
done
procs=$("$NSLAB" -v up --prefix "${P}v-" 2>&1 | sed -n 's/.*: \([0-9]*\) processes spawned/\1/p'); "$NSLAB" down --prefix "${P}v-" 2>/dev/null
n=$(med nslab); s=$(med slides); b=$(med batch)
printf '  nslab      %8.2f ms  (%s processes for up)\n' "$n" "$procs"
printf '  (a) slides %8.2f ms  (30 processes for up, 56 execs: ip netns exec runs its command in the same process)\n' "$s"
printf '  (b) batch  %8.2f ms  (5 processes for up)\n' "$b"
awk -v n="$n" -v s="$s" -v b="$b" -v l="$(load)" 'BEGIN { printf "  slides/nslab = %.1fx faster (goal >= 10x); nslab/batch = %.2f (goal <= 1.1); load %s\n", s / n, n / b, l }'

for N in 100 500; do
  star_lab "$N" "$TMP/star$N.toml"
  R=$(( N >= 500 ? (ROUNDS + 1) / 2 : ROUNDS ))
  echo "== star lab, $N hosts: up+down, $R paired rounds"
  for r in $(seq 1 "$R"); do
    p="${P}$r-"
    a=$EPOCHREALTIME; "$NSLAB" up "$TMP/star$N.toml" --prefix "$p" 2>/dev/null; "$NSLAB" down "st$N" --prefix "$p" 2>/dev/null; b=$EPOCHREALTIME; record "n$N" "$(ms "$a" "$b")"; sleep $(( N / 100 ))
    a=$EPOCHREALTIME; star_batch_up "$p" $((N - 1)); star_batch_down "$p" $((N - 1)); b=$EPOCHREALTIME; record "b$N" "$(ms "$a" "$b")"; sleep $(( N / 100 ))
  done
  n=$(med "n$N"); b=$(med "b$N")
  printf '  nslab      %8.2f ms\n  (b) batch  %8.2f ms\n' "$n" "$b"
  awk -v n="$n" -v b="$b" -v l="$(load)" 'BEGIN { printf "  nslab/batch = %.2f; load %s\n", n / b, l }'
done

flat_round() { # N STARS SPOKES round: one paired round, nslab first
  local n=$1 st=$2 m=$3 r=$4 p a b
  p="${P}f$r-"
  a=$EPOCHREALTIME; "$NSLAB" -q up "$TMP/flat$n.toml" --prefix "$p" 2>/dev/null; "$NSLAB" -q down "fl$n" --prefix "$p" 2>/dev/null; b=$EPOCHREALTIME
  record "fn$n" "$(ms "$a" "$b")"; record "fln$n" "$(load)"; sleep $(( n / 100 ))
  a=$EPOCHREALTIME; flat_batch_up "$p" "$st" "$m"; flat_batch_down "$p" "$st" "$m"; b=$EPOCHREALTIME
  record "fb$n" "$(ms "$a" "$b")"; record "flb$n" "$(load)"; sleep $(( n / 100 ))
}
for spec in "100 1 99" "1000 1 999" "2000 2 999"; do
  read -r N ST M <<< "$spec"
  if [ "$N" -gt 100 ] && [ -n "${SKIP_FLAT:-}" ]; then continue; fi
  flat_lab "$ST" "$M" "fl$N" "$TMP/flat$N.toml"
  R=$(( N > 100 ? FLAT_ROUNDS : ROUNDS ))
  echo "== flat star lab, $N hosts (one /8; $ST bridge(s) of $M ports): up+down, $R paired rounds"
  for r in $(seq 1 "$R"); do flat_round "$N" "$ST" "$M" "$r"; done
  n=$(med "fn$N"); b=$(med "fb$N")
  printf '  nslab      %10.2f ms  %6.2f ms/host  (load at each round: %s)\n' "$n" "$(awk -v t="$n" -v n="$N" 'BEGIN { print t / n }')" "${T[fln$N]}"
  printf '  (b) batch  %10.2f ms  %6.2f ms/host  (load at each round: %s)\n' "$b" "$(awk -v t="$b" -v n="$N" 'BEGIN { print t / n }')" "${T[flb$N]}"
  awk -v n="$n" -v b="$b" 'BEGIN { printf "  nslab/batch = %.2f (goal <= 0.7 at 1,000 and 2,000 hosts)\n", n / b }'
done
if [ -n "${T[fn2000]:-}" ]; then
  awk -v n1="$(med fn100)" -v n2="$(med fn2000)" -v b1="$(med fb100)" -v b2="$(med fb2000)" 'BEGIN {
    printf "== linearity: per-host cost at 2,000 hosts / at 100 hosts\n"
    printf "  nslab %.2f ms -> %.2f ms: %.2fx (goal <= 1.1)\n", n1 / 100, n2 / 2000, (n2 / 2000) / (n1 / 100)
    printf "  batch %.2f ms -> %.2f ms: %.2fx (the kernel and ip alone)\n", b1 / 100, b2 / 2000, (b2 / 2000) / (b1 / 100) }'
  p="${P}m-"
  /usr/bin/time -f '%M' -o "$TMP/mem.up" "$NSLAB" -q up "$TMP/flat2000.toml" --prefix "$p" 2>/dev/null
  /usr/bin/time -f '%M' -o "$TMP/mem.down" "$NSLAB" -q down fl2000 --prefix "$p" 2>/dev/null
  printf '  nslab peak memory at 2,000 hosts: up %s kB, down %s kB (maximum resident set size)\n' "$(tail -1 "$TMP/mem.up")" "$(tail -1 "$TMP/mem.down")"
  sleep 20
fi

echo "== nslab check (all ordered pairs, socket prober), minus the cost of starting nslab"
for r in $(seq 1 "$ROUNDS"); do a=$EPOCHREALTIME; "$NSLAB" --version >/dev/null; b=$EPOCHREALTIME; record ver "$(ms "$a" "$b")"; done
"$NSLAB" up --prefix "${P}c-" 2>/dev/null
for r in $(seq 1 "$ROUNDS"); do a=$EPOCHREALTIME; "$NSLAB" check --prefix "${P}c-" >/dev/null 2>&1 || true; b=$EPOCHREALTIME; record c4 "$(ms "$a" "$b")"; done
l4=$(load)
"$NSLAB" down --prefix "${P}c-" 2>/dev/null
for N in 100 500; do
  cp "$TMP/star$N.toml" "$TMP/c$N.toml"
  "$NSLAB" up "$TMP/c$N.toml" --prefix "${P}c-" 2>/dev/null
  R=$(( N >= 500 ? (ROUNDS + 1) / 2 : ROUNDS ))
  # A check that fails still counts (its time is what it took); the last one's verdict is shown.
  for r in $(seq 1 "$R"); do a=$EPOCHREALTIME; "$NSLAB" check "st$N" --prefix "${P}c-" >/dev/null 2>&1 || true; b=$EPOCHREALTIME; record "c$N" "$(ms "$a" "$b")"; done
  record "lc$N" "$(load)"
  { "$NSLAB" check "st$N" --prefix "${P}c-" 2>&1 || true; } | tail -1 | sed "s/^/  $N hosts: /"
  "$NSLAB" down "st$N" --prefix "${P}c-" 2>/dev/null
  sleep $(( N / 100 ))
done
v=$(med ver)
printf '  nslab --version:          %8.2f ms\n' "$v"
awk -v c="$(med c4)" -v v="$v" -v l="$l4" 'BEGIN { printf "  4 hosts   (12 pairs):     %8.2f ms, minus --version %8.2f ms (goal <= 1; load %s)\n", c, c - v, l }'
awk -v c="$(med c100)" -v v="$v" -v l="${T[lc100]}" 'BEGIN { printf "  100 hosts (9,900 pairs):  %8.2f ms, minus --version %8.2f ms (goal <= 100; load %s)\n", c, c - v, l }'
awk -v c="$(med c500)" -v v="$v" -v l="${T[lc500]}" 'BEGIN { printf "  500 hosts (249,500 pairs): %7.2f ms, minus --version %8.2f ms (goal <= 2000; load %s)\n", c, c - v, l }'
