#!/bin/sh
# Values held in variables decide what the legacy commands mean (issue 12, item 2): an
# address with or without a prefix, a netmask and a broadcast from variables, a network
# route whose destination and mask are variables, a default route through a variable
# gateway and device, and an ARP entry whose address and MAC are variables. Run it with
# other values (IP=, NETMASK=, NET=, MASK=, GW=) and the migration follows.
NS="${P}vv"
IF=veth0
IP=${IP:-10.20.0.1}
NETMASK=${NETMASK:-255.255.255.0}
BCAST=${BCAST:-10.20.0.255}
PEER_IP=${PEER_IP:-172.16.5.1/24}
NET=${NET:-10.99.0.0}
MASK=${MASK:-255.255.0.0}
GW=${GW:-10.20.0.254}
HOSTRT=${HOSTRT:-192.168.77.7}
NEIGH=${NEIGH:-10.20.0.9}
MAC=${MAC:-02:aa:00:00:00:09}

ip netns add "$NS"
ip netns exec "$NS" ip link add $IF type veth peer name veth1
ip netns exec "$NS" ip link add veth2 type veth peer name veth3
ip netns exec "$NS" ifconfig lo up
ip netns exec "$NS" ifconfig $IF $IP netmask $NETMASK broadcast $BCAST up
ip netns exec "$NS" ifconfig veth1 $PEER_IP
ip netns exec "$NS" ifconfig veth1:0 192.168.3.1 netmask $NETMASK
ip netns exec "$NS" ifconfig veth2 ${IP%.*}.77/28 up
ip netns exec "$NS" route add -net $NET netmask $MASK gw $GW
ip netns exec "$NS" route add default gw $GW $IF
ip netns exec "$NS" route add -host $HOSTRT dev veth2
ip netns exec "$NS" arp -s $NEIGH $MAC -i $IF
ip netns exec "$NS" arp -s ${IP%.*}.10 02:aa:00:00:00:10
