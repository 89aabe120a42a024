#!/bin/bash
# Link settings: MTU, txqueuelen (not rxqueuelen), MAC, flags, renaming.
N="${P}fl"
ip netns add "$N"
ip netns exec "$N" ip link add v0 type veth peer name v1
ip netns exec "$N" ip link add v2 type veth peer name v3

ip netns exec "$N" ifconfig v0 mtu 1400 txqueuelen 0x20 up
ip netns exec "$N" ifconfig v0 hw ether 02:aa:00:00:00:01
ip netns exec "$N" ifconfig v1 hw ether 02:aa:00:00:00:02 -arp promisc allmulti
ip netns exec "$N" ifconfig v1 -multicast dynamic -trailers
ip netns exec "$N" ifconfig v1 -promisc
ip netns exec "$N" ifconfig v2 mtu 9000 up
ip netns exec "$N" ifconfig v2 down
ip netns exec "$N" ifconfig v2 hw ether zz:00 mtu 1300   # the bad MAC fails, the MTU still applies
ip netns exec "$N" ifconfig v3 name wan0
ip netns exec "$N" ifconfig wan0 172.20.1.1 netmask 255.255.255.128 up
ip netns exec "$N" ifconfig wan0 broadcast 172.20.1.127 -broadcast pointopoint
