#!/bin/bash
# Static ARP entries with arp -s / -d.
N="${P}ar"
ip netns add "$N"
ip netns exec "$N" ip link add v0 type veth peer name v1
ip netns exec "$N" ifconfig v0 10.4.0.1/24
ip netns exec "$N" arp -i v0 -s 10.4.0.2 02:aa:00:00:00:02
ip netns exec "$N" arp -s 10.4.0.3 02:aa:00:00:00:03 -i v0
ip netns exec "$N" arp -i v0 -s 10.4.0.4 02:aa:00:00:00:04 pub
ip netns exec "$N" arp -i v0 -s 10.4.0.5 02:aa:00:00:00:05
ip netns exec "$N" arp -i v0 -d 10.4.0.5
ip netns exec "$N" arp -s 10.4.0.6 02:aa:00:00:00:06    # no -i: the device is found by route at run time
ip netns exec "$N" arp -an
