#!/bin/bash
# A two-subnet lab with a router, built with net-tools and bridge-utils the way many
# teaching labs are: plain steps that `nslab migrate --to-lab` turns into a lab file, and a
# few lines a lab file does not carry (a check, a loop that only prints), which it lists.
H1="${P}h1"
H2="${P}h2"
R="${P}r"
for n in "$H1" "$H2" "$R"; do echo "namespace $n"; done
ip netns add "$H1"
ip netns add "$H2"
ip netns add "$R"
ip netns exec "$R" ip link add r-eth0 type veth peer name h1-eth0
ip netns exec "$R" ip link set h1-eth0 netns "$H1"
ip netns exec "$R" ip link add r-eth1 type veth peer name h2-eth0
ip netns exec "$R" ip link set h2-eth0 netns "$H2"
ip netns exec "$R" brctl addbr br-lan
ip netns exec "$R" brctl addif br-lan r-eth1
ip netns exec "$R" ifconfig lo up
ip netns exec "$H1" ifconfig lo up
ip netns exec "$H2" ifconfig lo up
ip netns exec "$R" ifconfig r-eth0 10.10.1.1 netmask 255.255.255.0 up
ip netns exec "$R" ifconfig br-lan 10.10.2.1/24 up
ip netns exec "$R" ifconfig r-eth1 up
ip netns exec "$H1" ifconfig h1-eth0 10.10.1.2 netmask 255.255.255.0 up
ip netns exec "$H2" ifconfig h2-eth0 10.10.2.2/24 mtu 1400 up
ip netns exec "$H1" route add default gw 10.10.1.1
ip netns exec "$H2" route add -net 10.10.1.0 netmask 255.255.255.0 gw 10.10.2.1
ip netns exec "$R" sysctl -q -w net.ipv4.ip_forward=1
ip netns exec "$R" arp -i r-eth0 -s 10.10.1.2 02:aa:00:00:00:12
if ip netns exec "$R" ifconfig -a | grep -q br-lan; then
    echo "bridge is there"
fi
