#!/bin/bash
# Shapes found in scripts people really have (issue 12): variables glued to text, a case
# block before more commands, output read back through pipes and substitutions, a probe of
# the tool itself, BSD syntax, `arp -s` without `-i`, a port already in another bridge,
# and `0.0.0.0` on a device whose addresses migrate cannot see.
VM="${P}vm"
NS="${P}fs"
ip netns add "$NS"
ip netns exec "$NS" ip link add "$VM"_eth0 type veth peer name "$VM"_eth1
ip netns exec "$NS" ip link add v2 type veth peer name v3

mode=${1:-bridge}
case $mode in
    bridge) echo "bridged setup" ;;
    *) echo "routed setup" ;;
esac
ip netns exec "$NS" ifconfig "$VM"_eth0 10.30.0.1 netmask 255.255.255.0 up
if [ "$mode" = bridge ]; then
    ip netns exec "$NS" ifconfig $VM'_eth1' up
fi

if ip netns exec "$NS" ifconfig --help 2>&1 | grep -q BusyBox; then
    echo "busybox ifconfig"
fi
ip netns exec "$NS" ifconfig -a | grep -q "$VM"_eth0 && echo "found it"
ADDR=$(ip netns exec "$NS" ifconfig "$VM"_eth0 | grep 'inet ' | awk '{print $2}')
echo "address: $ADDR"

ip netns exec "$NS" ifconfig bridge0 create 2>/dev/null || echo "no BSD here"
ip netns exec "$NS" arp -s 10.30.0.7 02:aa:00:00:00:07

ip netns exec "$NS" brctl addbr br0
ip netns exec "$NS" brctl addbr br1
ip netns exec "$NS" brctl addif br0 v2
ip netns exec "$NS" brctl addif br1 v2 || echo "v2 is already a port"

# From here migrate cannot see the state of v3: run-time tests decide.
ip netns exec "$NS" sh -c 'ip addr add 10.40.0.1/24 dev v3; ip addr add 192.168.40.1/24 dev v3'
ip netns exec "$NS" ifconfig v3 0.0.0.0
ip netns exec "$NS" brctl addif br0 v3 || echo "v3 is already a port"
# A pipeline that is no known idiom, inside a substitution: kept and reported by --check.
COUNT=$(ip netns exec "$NS" ifconfig -a | grep -c flags)
