#!/bin/bash
# IPv6 with ifconfig and route -A inet6.
A="${P}6a"
B="${P}6b"
ip netns add "$A"
ip netns add "$B"
ip netns exec "$A" ip link add eth0 type veth peer name eth0 netns "$B"

ip netns exec "$A" ifconfig eth0 up
ip netns exec "$B" ifconfig eth0 up
ip netns exec "$A" ifconfig eth0 inet6 add 2001:db8:1::1/64
ip netns exec "$A" ifconfig eth0 add 2001:db8:9::9          # no length: /128
ip netns exec "$A" ifconfig eth0 inet6 add 2001:db8:8::8/64
ip netns exec "$A" ifconfig eth0 inet6 del 2001:db8:8::8/64
ip netns exec "$B" ifconfig eth0 inet6 add 2001:db8:1::2/64
ip netns exec "$B" ifconfig eth0 10.6.0.2/24

ip netns exec "$A" route -A inet6 add 2001:db8:5::/64 gw 2001:db8:1::2
ip netns exec "$A" route -6 add 2001:db8:6::/64 dev eth0
ip netns exec "$A" route -A inet6 add 2001:db8:7::/64 gw 2001:db8:1::2 metric 20
ip netns exec "$B" route -A inet6 add default gw 2001:db8:1::1
ip netns exec "$A" route -A inet6 -n
