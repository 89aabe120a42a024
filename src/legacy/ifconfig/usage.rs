//! ifconfig's usage text (`usage()` in net-tools 2.10 ifconfig.c), whole and split the way
//! `--help` prints it.

// The pieces, as literals (macros local to this file) so that both the full text and the
// `--help` split (usage on stdout, type lists on stderr) are built from one copy.
macro_rules! head {
    () => {
        "Usage:
  ifconfig [-a] [-v] [-s] <interface> [[<AF>] <address>]
  [add <address>[/<prefixlen>]]
  [del <address>[/<prefixlen>]]
  [[-]broadcast [<address>]]  [[-]pointopoint [<address>]]
  [netmask <address>]  [dstaddr <address>]  [tunnel <address>]
  [outfill <NN>] [keepalive <NN>]
  [hw <HW> <address>]  [mtu <NN>]
  [[-]trailers]  [[-]arp]  [[-]allmulti]
  [multicast]  [[-]promisc]
  [mem_start <NN>]  [io_addr <NN>]  [irq <NN>]  [media <type>]
  [txqueuelen <NN>]
  [name <newname>]
  [[-]dynamic]
  [up|down] ...

  <HW>=Hardware Type.
"
    };
}
macro_rules! hw_list {
    () => {
        "    loop (Local Loopback) slip (Serial Line IP) cslip (VJ Serial Line IP) 
    slip6 (6-bit Serial Line IP) cslip6 (VJ 6-bit Serial Line IP) adaptive (Adaptive Serial Line IP) 
    ash (Ash) ether (Ethernet) ax25 (AMPR AX.25) 
    netrom (AMPR NET/ROM) rose (AMPR ROSE) tunnel (IPIP Tunnel) 
    ppp (Point-to-Point Protocol) hdlc ((Cisco)-HDLC) lapb (LAPB) 
    arcnet (ARCnet) dlci (Frame Relay DLCI) frad (Frame Relay Access Device) 
    sit (IPv6-in-IPv4) fddi (Fiber Distributed Data Interface) hippi (HIPPI) 
    irda (IrLAP) ec (Econet) x25 (generic X.25) 
    eui64 (Generic EUI-64) 
"
    };
}
macro_rules! af_list {
    () => {
        "    unix (UNIX Domain) inet (DARPA Internet) inet6 (IPv6) 
    ax25 (AMPR AX.25) netrom (AMPR NET/ROM) rose (AMPR ROSE) 
    ipx (Novell IPX) ddp (Appletalk DDP) ec (Econet) 
    ash (Ash) x25 (CCITT X.25) 
"
    };
}

/// The full usage text (`usage()` in ifconfig.c), printed on stderr with exit code 3 for
/// usage errors and on stdout (lists on stderr) for `--help`.
pub const USAGE: &str = concat!(
    head!(),
    "  List of possible hardware types:\n",
    hw_list!(),
    "  <AF>=Address family. Default: inet\n  List of possible address families:\n",
    af_list!(),
);

/// The help hint printed after an unresolvable address and after an unknown option.
pub const HELP_HINT: &str = "ifconfig: `--help' gives usage information.";

/// `--help`'s stdout: the usage without the type lists.
pub const HELP_STDOUT: &str = concat!(
    head!(),
    "  List of possible hardware types:\n",
    "  <AF>=Address family. Default: inet\n  List of possible address families:\n",
);

/// The hardware-type and address-family lists, which net-tools always writes to stderr.
pub const TYPE_LISTS: &str = concat!(hw_list!(), af_list!());

/// The whole usage text of the classic build, which it writes to stderr (exit 4). Its
/// hardware list lacks `strip` and `tr`: the reference build had them switched off (see
/// compat/classic/README.md).
pub const CLASSIC_USAGE: &str = concat!(
    "\
Usage:
  ifconfig [-a] [-v] [-s] <interface> [[<AF>] <address>]
  [add <address>[/<prefixlen>]]
  [del <address>[/<prefixlen>]]
  [[-]broadcast [<address>]]  [[-]pointopoint [<address>]]
  [netmask <address>]  [dstaddr <address>]  [tunnel <address>]
  [outfill <NN>] [keepalive <NN>]
  [hw <HW> <address>]  [metric <NN>]  [mtu <NN>]
  [[-]trailers]  [[-]arp]  [[-]allmulti]
  [multicast]  [[-]promisc]
  [mem_start <NN>]  [io_addr <NN>]  [irq <NN>]  [media <type>]
  [txqueuelen <NN>]
  [[-]dynamic]
  [up|down] ...

  <HW>=Hardware Type.
  List of possible hardware types:
    loop (Local Loopback) slip (Serial Line IP) cslip (VJ Serial Line IP) \n    \
slip6 (6-bit Serial Line IP) cslip6 (VJ 6-bit Serial Line IP) adaptive (Adaptive Serial Line IP) \n    \
ash (Ash) ether (Ethernet) ax25 (AMPR AX.25) \n    \
netrom (AMPR NET/ROM) rose (AMPR ROSE) tunnel (IPIP Tunnel) \n    \
ppp (Point-to-Point Protocol) hdlc ((Cisco)-HDLC) lapb (LAPB) \n    \
arcnet (ARCnet) dlci (Frame Relay DLCI) frad (Frame Relay Access Device) \n    \
sit (IPv6-in-IPv4) fddi (Fiber Distributed Data Interface) hippi (HIPPI) \n    \
irda (IrLAP) ec (Econet) x25 (generic X.25) \n    \
infiniband (InfiniBand) \n",
    "  <AF>=Address family. Default: inet\n  List of possible address families:\n",
    af_list!(),
);
