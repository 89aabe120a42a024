//! The fixed texts of `arp`: net-tools 2.10, and the classic 1.60's where they differ.

/// `arp -V` (stdout).
pub const VERSION: &str = concat!(
    "net-tools 2.10\n",
    "+I18N +SELINUX\n",
    "AF: (inet) +UNIX +INET +INET6 +IPX +AX25 +NETROM +X25 +ATALK +ECONET +ROSE -BLUETOOTH\n",
    "HW: (ether) +ETHER +ARC +SLIP +PPP +TUNNEL -TR +AX25 +NETROM +X25 +FR +ROSE +ASH +SIT +FDDI +HIPPI +HDLC/LAPB +EUI64 \n",
);

/// The usage after its synopsis (the same in both versions).
macro_rules! options {
    () => {
        concat!(
            "\n",
            "        -a                       display (all) hosts in alternative (BSD) style\n",
            "        -e                       display (all) hosts in default (Linux) style\n",
            "        -s, --set                set a new ARP entry\n",
            "        -d, --delete             delete a specified entry\n",
            "        -v, --verbose            be verbose\n",
            "        -n, --numeric            don't resolve names\n",
            "        -i, --device             specify network interface (e.g. eth0)\n",
            "        -D, --use-device         read <hwaddr> from given device\n",
            "        -A, -p, --protocol       specify protocol family\n",
            "        -f, --file               read new entries from file or from /etc/ethers\n",
            "\n",
            "  <HW>=Use '-H <hw>' to specify hardware address type. Default: ether\n",
            "  List of possible hardware types (which support ARP):\n",
        )
    };
}

/// The usage (stdout for `-h`, stderr for a usage error).
pub const USAGE: &str = concat!(
    "Usage:\n",
    "  arp [-vn]  [<HW>] [-i <if>] [-a] [<hostname>]             <-Display ARP cache\n",
    "  arp [-v]          [-i <if>] -d  <host> [pub]               <-Delete ARP entry\n",
    "  arp [-vnD] [<HW>] [-i <if>] -f  [<filename>]            <-Add entry from file\n",
    "  arp [-v]   [<HW>] [-i <if>] -s  <host> <hwaddr> [temp]            <-Add entry\n",
    "  arp [-v]   [<HW>] [-i <if>] -Ds <host> <if> [netmask <nm>] pub          <-''-\n",
    options!(),
);

/// The hardware types that support ARP (`print_hwlist(1)`), always on stderr.
pub const HW_LIST: &str = concat!(
    "    ash (Ash) ether (Ethernet) ax25 (AMPR AX.25) \n",
    "    netrom (AMPR NET/ROM) rose (AMPR ROSE) arcnet (ARCnet) \n",
    "    dlci (Frame Relay DLCI) fddi (Fiber Distributed Data Interface) hippi (HIPPI) \n",
    "    irda (IrLAP) x25 (generic X.25) eui64 (Generic EUI-64) \n",
);

/// The classic `arp -V` (stderr, exit 5).
pub const CLASSIC_VERSION: &str = concat!(
    "net-tools 1.60\n",
    "arp 1.88 (2001-04-04)\n",
    "+I18N\n",
    "AF: (inet) +UNIX +INET +INET6 +IPX +AX25 +NETROM +X25 +ATALK +ECONET +ROSE \n",
    "HW: (ether) +ETHER +ARC +SLIP +PPP +TUNNEL -TR +AX25 +NETROM +X25 +FR +ROSE +ASH +SIT +FDDI +HIPPI +HDLC/LAPB \n",
);

/// The classic usage (always on stderr, then [`CLASSIC_HW_LIST`], exit 4).
pub const CLASSIC_USAGE: &str = concat!(
    "Usage:\n",
    "  arp [-vn]  [<HW>] [-i <if>] [-a] [<hostname>]             <-Display ARP cache\n",
    "  arp [-v]          [-i <if>] -d  <hostname> [pub][nopub]    <-Delete ARP entry\n",
    "  arp [-vnD] [<HW>] [-i <if>] -f  [<filename>]              <-Add entry from file\n",
    "  arp [-v]   [<HW>] [-i <if>] -s  <hostname> <hwaddr> [temp][nopub] <-Add entry\n",
    "  arp [-v]   [<HW>] [-i <if>] -s  <hostname> <hwaddr> [netmask <nm>] pub  <-''-\n",
    "  arp [-v]   [<HW>] [-i <if>] -Ds <hostname> <if> [netmask <nm>] pub      <-''-\n",
    options!(),
);

/// The classic build's hardware types with ARP (InfiniBand, no EUI-64).
pub const CLASSIC_HW_LIST: &str = concat!(
    "    ash (Ash) ether (Ethernet) ax25 (AMPR AX.25) \n",
    "    netrom (AMPR NET/ROM) rose (AMPR ROSE) arcnet (ARCnet) \n",
    "    dlci (Frame Relay DLCI) fddi (Fiber Distributed Data Interface) hippi (HIPPI) \n",
    "    irda (IrLAP) x25 (generic X.25) infiniband (InfiniBand) \n",
);
