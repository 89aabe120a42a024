#!/bin/sh
# Simulated machines for labs spread over machines (labs/two-machines.toml), on one box.
#
#   labs/two-machines.sh up     make the machines; prints the NSLAB_SSH setting to use
#   labs/two-machines.sh down   end them (everything built inside them goes with them)
#
# Each machine is a network namespace with its own mount namespace, held by one `sleep`
# process (its PID in $DIR/NAME.pid): a private tmpfs on /run (so its /run/netns and
# /run/nslab are its own) and on /etc/netns. The machines are joined by an underlay: a
# veth from each machine (`u0`, $NET.N/24 for the N-th machine) to a bridge in one more
# namespace (the switch). Nothing is added to this box's root namespace. $DIR/ssh is an
# ssh stand-in: `ssh [-o OPT]... NAME COMMAND...` runs COMMAND with sh inside machine NAME,
# with a clean environment as ssh gives one.
#
# Environment: NSLAB_SIM_DIR (default /tmp/nslab-two-machines), NSLAB_SIM_MACHINES
# (default "A B"), NSLAB_SIM_NET (the underlay's first three octets, default 10.251.0).
set -eu

DIR=${NSLAB_SIM_DIR:-/tmp/nslab-two-machines}
MACHINES=${NSLAB_SIM_MACHINES:-A B}
NET=${NSLAB_SIM_NET:-10.251.0}

# Start a holder: new namespaces (network, and mount unless $2 is "net"), then sleep.
hold() {
    if [ "$2" = net ]; then
        setsid unshare --net -- sleep infinity </dev/null >/dev/null 2>&1 &
    else
        setsid unshare --net --mount --propagation private -- sh -c \
            'mount -t tmpfs nslab-sim /run && mount -t tmpfs nslab-sim /etc/netns && exec sleep infinity' \
            </dev/null >/dev/null 2>&1 &
    fi
    pid=$!
    # Ready once the holder is `sleep` (the mounts are made before that exec).
    tries=0
    until [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$(command -v sleep)")" ]; do
        tries=$((tries + 1))
        [ "$tries" -lt 200 ] || { echo "two-machines.sh: holder for $1 did not start" >&2; exit 1; }
        sleep 0.01
    done
    echo "$pid" > "$DIR/$1.pid"
}

up() {
    if [ -e "$DIR" ]; then
        echo "two-machines.sh: $DIR exists (run \`$0 down\` first)" >&2
        exit 1
    fi
    mkdir -p "$DIR" /etc/netns
    hold switch net
    sw=$(cat "$DIR/switch.pid")
    nsenter -t "$sw" -n ip link add sw type bridge
    nsenter -t "$sw" -n ip link set sw up
    n=0
    for m in $MACHINES; do
        n=$((n + 1))
        hold "$m" full
        pid=$(cat "$DIR/$m.pid")
        ip link add u0 netns "$pid" type veth peer name "p$n" netns "$sw"
        nsenter -t "$sw" -n ip link set "p$n" master sw up
        nsenter -t "$pid" -n ip addr add "$NET.$n/24" dev u0
        nsenter -t "$pid" -n ip link set u0 up
        nsenter -t "$pid" -n ip link set lo up
    done
    cat > "$DIR/ssh" <<STANDIN
#!/bin/sh
# ssh stand-in for the simulated machines in $DIR (made by two-machines.sh).
while [ \$# -gt 0 ]; do
    case "\$1" in
        -o|-p|-l|-i|-F) shift 2 ;;
        --) shift; break ;;
        -*) shift ;;
        *) break ;;
    esac
done
dest=\${1:?usage: ssh [-o OPT]... DEST COMMAND...}
shift
pid=\$(cat "$DIR/\$dest.pid" 2>/dev/null) || {
    echo "ssh: Could not resolve hostname \$dest: Name or service not known" >&2
    exit 255
}
exec env -i PATH="\$PATH" HOME=/root nsenter -t "\$pid" -n -m -- sh -c "\$*"
STANDIN
    chmod +x "$DIR/ssh"
    echo "export NSLAB_SSH=$DIR/ssh"
}

down() {
    [ -d "$DIR" ] || return 0
    for f in "$DIR"/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        # Only a holder this script started: a `sleep` whose pid file is ours.
        if [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$(command -v sleep)")" ]; then
            kill "$pid"
            tries=0
            while [ -e "/proc/$pid" ] && [ "$tries" -lt 200 ]; do tries=$((tries + 1)); sleep 0.01; done
        fi
        rm -f "$f"
    done
    rm -f "$DIR/ssh"
    rmdir "$DIR"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
