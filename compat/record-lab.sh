#!/usr/bin/env bash
# Re-record compat/lab/: the `ip -j` dumps nslab's snapshot reads, for the default lab's ns1
# and ns2 and for the router lab's r and h1, taken from real namespaces.
# Usage (as root, from the repository root): compat/record-lab.sh [path/to/nslab]
set -euo pipefail
nslab=${1:-target/debug/nslab}
out=compat/lab
p=rec$$-
cleanup() { "$nslab" down --prefix "$p" >/dev/null 2>&1 || true; "$nslab" down router --prefix "$p" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$nslab" up --prefix "$p"
"$nslab" up labs/router.toml --prefix "$p"
record() { # case namespace
  local dir=$out/$1
  mkdir -p "$dir"
  printf 'addr show\nroute show table all\nnetns list-id\n' | ip -n "$2" -j -d -s -s -batch - > "$dir/ip-batch.json"
  {
    echo "namespace: $2"
    echo "prefix: $p"
    echo "iproute2: $(ip -V)"
    echo "kernel: $(uname -r)"
    echo "recorded: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } > "$dir/meta"
}
record seed-ns1 "${p}ns1"
record seed-ns2 "${p}ns2"
record router-r "${p}r"
record router-h1 "${p}h1"
echo "recorded into $out"
