#!/bin/bash
# Variables, loops, functions, lists, pipes, quotes and continuations.
LAB="${P}lv"
IF=veth0
HOSTS="1 2 3"

mkhost() {
    local ns="$LAB$1"
    ip netns add "$ns"
    ip netns exec "$ns" ip link add "$IF" type veth peer name "peer$1"
    ip netns exec "$ns" ifconfig "$IF" 10.8.0.$1 netmask 255.255.255.0 up    # kept: address from $1
    ip netns exec "$ns" ifconfig "$IF" mtu 1400 \
        txqueuelen 500
    ip netns exec "$ns" ifconfig "peer$1" up && echo "peer$1 up"
}

for h in $HOSTS; do
    mkhost "$h"
done

ip netns exec "${LAB}1" ifconfig "$IF" 10.8.1.1/24 || echo failed
ip netns exec "${LAB}2" ifconfig $IF -arp; ip netns exec "${LAB}2" ifconfig $IF promisc
ip netns exec "${LAB}3" ifconfig -a | grep -c flags >/dev/null
if ip netns exec "${LAB}3" ifconfig "$IF" down; then
    ip netns exec "${LAB}3" brctl addbr 'br0'
fi
while false; do ifconfig eth9 up; done
case "$IF" in
    veth*) ip netns exec "${LAB}2" brctl addbr br7 ;;
    *) echo other ;;
esac
