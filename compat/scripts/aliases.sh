#!/bin/bash
# IP aliases and the address quirks of ifconfig.
N="${P}al"
ip netns add "$N"
ip netns exec "$N" ip link add eth0 type veth peer name eth1
ip netns exec "$N" ip link add eth2 type veth peer name eth3

# Classful defaults and the implicit up.
ip netns exec "$N" ifconfig eth0 10.1.2.3
ip netns exec "$N" ifconfig eth0:1 10.1.9.9              # an alias: eth0 stays as it is
ip netns exec "$N" ifconfig eth0:2 192.168.7.7 netmask 255.255.255.0 broadcast 192.168.7.255
ip netns exec "$N" ifconfig eth0 add 10.1.50.50          # eth0:0, parent's mask
ip netns exec "$N" ifconfig eth0 del 10.77.0.1           # unknown: it is ADDED as eth0:3
ip netns exec "$N" ifconfig eth0 del 10.1.50.50          # removes eth0:0
ip netns exec "$N" ifconfig eth0:2 down                  # deletes the alias
ip netns exec "$N" ifconfig eth2 add 10.5.5.5            # eth2 is down: nothing happens
ip netns exec "$N" ifconfig eth2 10.200.0.1/32           # /32 becomes /0
ip netns exec "$N" ifconfig eth3 240.0.0.7               # class E: /32, no broadcast
ip netns exec "$N" ifconfig eth3 0.0.0.0                 # removes it again (eth3 stays up)
ip netns exec "$N" ifconfig eth0 10.1.2.3 netmask 255.255.0.0   # same address: only the mask
ip netns exec "$N" ifconfig eth0 10.3.3.3                # replacing the primary drops eth0:1
ip netns exec "$N" ifconfig lo:1 127.0.0.2
ip netns exec "$N" ifconfig lo up
