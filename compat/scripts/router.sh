#!/bin/bash
# Two subnets joined by a router namespace; routes with net-tools `route`.
R="${P}r"
A="${P}a"
B="${P}b"

ip netns add "$R"
ip netns add "$A"
ip netns add "$B"
ip netns exec "$A" ip link add eth0 type veth peer name ra
ip netns exec "$A" ip link set ra netns "$R"
ip netns exec "$B" ip link add eth0 type veth peer name rb
ip netns exec "$B" ip link set rb netns "$R"

ip netns exec "$R" ifconfig ra 192.168.1.1 netmask 255.255.255.0 up
ip netns exec "$R" ifconfig rb 172.16.5.1 up          # classful: /16
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$A" ifconfig eth0 192.168.1.10 netmask 255.255.255.0 broadcast 192.168.1.255
ip netns exec "$B" ifconfig eth0 172.16.5.20/16

ip netns exec "$A" route add default gw 192.168.1.1
ip netns exec "$B" route add -net 192.168.1.0 netmask 255.255.255.0 gw 172.16.5.1 metric 5
ip netns exec "$B" route add -host 10.9.9.9 dev eth0
ip netns exec "$B" route add -net 10.20.0.0/16 dev eth0 metric 3
ip netns exec "$B" route add -net 10.30.0.0 netmask 255.255.0.0 reject
ip netns exec "$A" route add -net 10.40.0.0 netmask 255.255.0.0 gw 192.168.1.1 eth0
ip netns exec "$A" route add -net 10.41.0.0 netmask 255.255.0.0 gw 192.168.1.1
ip netns exec "$A" route del -net 10.41.0.0 netmask 255.255.0.0
# route deletes kernel routes too (any protocol), but only unicast ones.
ip netns exec "$A" route del -net 192.168.1.0 netmask 255.255.255.0
ip netns exec "$B" route del -net 10.30.0.0 netmask 255.255.0.0   # fails: it is unreachable
ip netns exec "$B" route -n
