#!/bin/bash
# Commands given to the script's own wrapper functions, values read back from net-tools'
# output (both the classic 1.60 and the 2.10 shapes), and commands run from strings or by
# other programs (eval, xargs, watch: kept and reported). Issue 12, items 4 and 5.
NS="${P}wi"
BR=br0
do_without_error() {
    "$@" 2>/dev/null || true
}
run() {
    echo "+ $*"
    "$@"
}
retry() {
    local n=$1
    shift
    until "$@"; do
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.1
    done
}
log() { echo "[lab] $*"; }

ip netns add "$NS"
ip netns exec "$NS" ip link add veth0 type veth peer name veth1
ip netns exec "$NS" ip link add veth2 type veth peer name veth3
run ip netns exec "$NS" ifconfig lo up
run ip netns exec "$NS" ifconfig veth0 10.60.0.1 netmask 255.255.255.0 up
do_without_error ip netns exec "$NS" brctl delif $BR veth2
run ip netns exec "$NS" brctl addbr $BR
retry 3 ip netns exec "$NS" brctl addif $BR veth2
run ip netns exec "$NS" ifconfig $BR 10.61.0.1/24 up
retry 2 ip netns exec "$NS" route add default gw 10.60.0.254
log ifconfig veth0 is configured

# Values read back: the classic and the 2.10 shapes of the address idiom.
A_OLD=$(ip netns exec "$NS" ifconfig veth0 | grep 'inet addr:' | cut -d: -f2 | awk '{print $1}')
A_NEW=`ip netns exec "$NS" ifconfig veth0 | grep 'inet ' | awk '{print $2}'`
GW=$(ip netns exec "$NS" route -n | awk '$1=="0.0.0.0"{print $2}')
if ip netns exec "$NS" ifconfig -a | grep -q veth3; then
    ip netns exec "$NS" ifconfig veth3 10.62.0.1/24 up
fi
if ip netns exec "$NS" brctl show | grep -q "$BR"; then
    ip netns exec "$NS" ifconfig veth2 up
fi
ip netns exec "$NS" arp -an | grep -q 10.60.0.254 || ip netns exec "$NS" arp -i veth0 -s 10.60.0.254 02:aa:00:00:00:54
echo "old=$A_OLD new=$A_NEW gw=$GW"

# Run from strings or by other programs: kept, reported.
eval "ip netns exec $NS ifconfig veth1 mtu 1400"
echo veth1 | xargs -I{} ip netns exec "$NS" ifconfig {} up
command -v watch >/dev/null && timeout 1 watch -n 1 "ip netns exec $NS route -n" >/dev/null 2>&1
true
