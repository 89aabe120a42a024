#!/bin/bash
# Build the Debian package with cargo-deb: the binary, its man page (`nslab man`) and shell
# completions (`nslab completions SHELL`) generated from that same binary, placed where Debian
# puts them (see [package.metadata.deb] in Cargo.toml).
#
# Usage: packaging/build-deb.sh [PROFILE]   (default: release; CI uses `dev` to reuse the
# test build)   Needs: cargo-deb (`cargo install cargo-deb`). Prints the path of the .deb.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
profile=${1:-release}
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
cargo build --quiet --profile "$profile" --bin nslab
bin=target/$dir/nslab
assets=target/deb-assets
rm -rf "$assets"
mkdir -p "$assets"
"$bin" man | gzip -9n >"$assets/nslab.1.gz"
"$bin" completions bash >"$assets/nslab.bash"
"$bin" completions zsh >"$assets/_nslab"
"$bin" completions fish >"$assets/nslab.fish"
cargo deb --no-build --profile "$profile" --fast --quiet 2>/dev/null ||
    cargo deb --no-build --profile "$profile" --fast
ls -t target/debian/nslab_*.deb | head -1
