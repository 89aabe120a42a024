#!/bin/bash
# Bridges with STP and timers (brctl's seconds, the kernel's centiseconds).
N="${P}br"
ip netns add "$N"
ip netns exec "$N" ip link add p1 type veth peer name q1
ip netns exec "$N" ip link add p2 type veth peer name q2
ip netns exec "$N" ip link add p3 type veth peer name q3

ip netns exec "$N" brctl addbr br0
ip netns exec "$N" brctl stp br0 on
ip netns exec "$N" brctl setfd br0 4
ip netns exec "$N" brctl sethello br0 1.5
ip netns exec "$N" brctl setmaxage br0 12
ip netns exec "$N" brctl setageing br0 120.25
ip netns exec "$N" brctl setbridgeprio br0 70000      # stored modulo 65536
ip netns exec "$N" brctl addif br0 p1 p2
ip netns exec "$N" brctl setpathcost br0 p1 33
ip netns exec "$N" brctl setportprio br0 p2 7
ip netns exec "$N" brctl hairpin br0 p2 on
ip netns exec "$N" ifconfig br0 up
ip netns exec "$N" ifconfig p1 up
ip netns exec "$N" ifconfig q1 up

ip netns exec "$N" brctl addbr br1
ip netns exec "$N" brctl stp br1 yes
ip netns exec "$N" brctl stp br1 off
ip netns exec "$N" brctl setfd br1 1                   # allowed while STP is off
ip netns exec "$N" brctl addif br1 p3
ip netns exec "$N" brctl delif br1 p3
ip netns exec "$N" brctl addif br1 p3

ip netns exec "$N" brctl addbr tmp
ip netns exec "$N" brctl delbr tmp
ip netns exec "$N" brctl addbr tmp2
ip netns exec "$N" ifconfig tmp2 up
ip netns exec "$N" brctl delbr tmp2                    # refused: still up
ip netns exec "$N" brctl show
