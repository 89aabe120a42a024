#!/bin/bash
# The slides' lab: four hosts on one bridge, built with ifconfig and brctl.
# Namespace names are ${P}ns1 … ${P}ns4 (P is a prefix, empty by default).

ip netns add ${P}ns1
ip netns add ${P}ns2
ip netns add ${P}ns3
ip netns add ${P}ns4

# One veth per host; the bridge end goes to ns1.
ip netns exec ${P}ns1 ip link add veth0 type veth peer name bveth1
ip netns exec ${P}ns2 ip link add veth0 type veth peer name bveth2
ip netns exec ${P}ns3 ip link add veth0 type veth peer name bveth3
ip netns exec ${P}ns4 ip link add veth0 type veth peer name bveth4
ip netns exec ${P}ns2 ip link set bveth2 netns ${P}ns1
ip netns exec ${P}ns3 ip link set bveth3 netns ${P}ns1
ip netns exec ${P}ns4 ip link set bveth4 netns ${P}ns1

# Addresses (ifconfig brings the interface up by itself).
ip netns exec ${P}ns1 ifconfig veth0 10.0.0.1/24
ip netns exec ${P}ns2 ifconfig veth0 10.0.0.2/24
ip netns exec ${P}ns3 ifconfig veth0 10.0.0.3/24
ip netns exec ${P}ns4 ifconfig veth0 10.0.0.4/24
ip netns exec ${P}ns1 ifconfig lo up
ip netns exec ${P}ns2 ifconfig lo up
ip netns exec ${P}ns3 ifconfig lo up
ip netns exec ${P}ns4 ifconfig lo up

# The bridge in ns1.
ip netns exec ${P}ns1 brctl addbr br0
ip netns exec ${P}ns1 ifconfig br0 up
ip netns exec ${P}ns1 brctl addif br0 bveth1
ip netns exec ${P}ns1 brctl addif br0 bveth2
ip netns exec ${P}ns1 brctl addif br0 bveth3
ip netns exec ${P}ns1 brctl addif br0 bveth4
ip netns exec ${P}ns1 ifconfig bveth1 up
ip netns exec ${P}ns1 ifconfig bveth2 up
ip netns exec ${P}ns1 ifconfig bveth3 up
ip netns exec ${P}ns1 ifconfig bveth4 up
