//! The fixed texts of `route` (usage, version) and its exit codes: net-tools 2.10, and where
//! the classic 1.60 (RHEL/CentOS 6) prints otherwise, its text (`CLASSIC_…`).

/// `E_OPTERR`: a usage error.
pub const E_OPTERR: i32 = 3;
/// `E_USAGE`: the classic 1.60 exits with it after any usage text.
pub const E_USAGE: i32 = 4;
/// `E_VERSION`: the classic 1.60's `-V`.
pub const E_VERSION: i32 = 5;
/// `E_LOOKUP`: a name did not resolve.
pub const E_LOOKUP: i32 = 6;
/// `E_SOCK`: the kernel refused (the ioctl failed).
pub const E_SOCK: i32 = 7;

/// `route -V` (stdout).
pub const VERSION: &str = concat!(
    "net-tools 2.10\n",
    "+NEW_ADDRT +RTF_IRTT +RTF_REJECT +I18N +SELINUX\n",
    "AF: (inet) +UNIX +INET +INET6 +IPX +AX25 +NETROM +X25 +ATALK +ECONET +ROSE -BLUETOOTH\n",
    "HW:  +ETHER +ARC +SLIP +PPP +TUNNEL -TR +AX25 +NETROM +X25 +FR +ROSE +ASH +SIT +FDDI +HIPPI +HDLC/LAPB +EUI64 \n",
);

/// The usage up to its `<AF>` line (the same in both versions).
macro_rules! usage_head {
    () => {
        concat!(
            "Usage: route [-nNvee] [-FC] [<AF>]           List kernel routing tables\n",
            "       route [-v] [-FC] {add|del|flush} ...  Modify routing table for AF.\n",
            "\n",
            "       route {-h|--help} [<AF>]              Detailed usage syntax for specified AF.\n",
            "       route {-V|--version}                  Display version/author and exit.\n",
            "\n",
            "        -v, --verbose            be verbose\n",
            "        -n, --numeric            don't resolve names\n",
            "        -e, --extend             display other/more information\n",
            "        -F, --fib                display Forwarding Information Base (default)\n",
            "        -C, --cache              display routing cache instead of FIB\n",
            "\n",
        )
    };
}

/// The classic `route -V` (stderr, exit [`E_VERSION`]).
pub const CLASSIC_VERSION: &str = concat!(
    "net-tools 1.60\n",
    "route 1.98 (2001-04-15)\n",
    "+NEW_ADDRT +RTF_IRTT +RTF_REJECT +I18N\n",
    "AF: (inet) +UNIX +INET +INET6 +IPX +AX25 +NETROM +X25 +ATALK +ECONET +ROSE \n",
    "HW:  +ETHER +ARC +SLIP +PPP +TUNNEL -TR +AX25 +NETROM +X25 +FR +ROSE +ASH +SIT +FDDI +HIPPI +HDLC/LAPB \n",
);

/// The classic usage (always on stderr, then [`CLASSIC_AF_LIST`], exit [`E_USAGE`]): 2.10's
/// but for the `<AF>` line (no `-4`, `-6`).
pub const CLASSIC_USAGE: &str = concat!(
    usage_head!(),
    "  <AF>=Use '-A <af>' or '--<af>'; default: inet\n",
    "  List of possible address families (which support routing):\n",
);

/// The classic build's routing families (no ROSE).
pub const CLASSIC_AF_LIST: &str = concat!(
    "    inet (DARPA Internet) inet6 (IPv6) ax25 (AMPR AX.25) \n",
    "    netrom (AMPR NET/ROM) ipx (Novell IPX) ddp (Appletalk DDP) \n",
    "    x25 (CCITT X.25) \n",
);

/// `route -h` without a family: on stdout for help, on stderr for a usage error.
pub const USAGE: &str = concat!(
    usage_head!(),
    "  <AF>=Use -4, -6, '-A <af>' or '--<af>'; default: inet\n",
    "  List of possible address families (which support routing):\n",
);

/// The address families with routing (`print_aflist(1)`), always on stderr.
pub const AF_LIST: &str = concat!(
    "    inet (DARPA Internet) inet6 (IPv6) ax25 (AMPR AX.25) \n",
    "    netrom (AMPR NET/ROM) rose (AMPR ROSE) ipx (Novell IPX) \n",
    "    ddp (Appletalk DDP) x25 (CCITT X.25) \n",
);

/// `INET_rinput`'s usage.
pub const INET_USAGE: &str = concat!(
    "Usage: inet_route [-vF] del {-host|-net} Target[/prefix] [gw Gw] [metric M] [[dev] If]\n",
    "       inet_route [-vF] add {-host|-net} Target[/prefix] [gw Gw] [metric M]\n",
    "                              [netmask N] [mss Mss] [window W] [irtt I]\n",
    "                              [mod] [dyn] [reinstate] [[dev] If]\n",
    "       inet_route [-vF] add {-host|-net} Target[/prefix] [metric M] reject\n",
    "       inet_route [-FC] flush      NOT supported\n",
);

/// `INET6_rinput`'s usage.
pub const INET6_USAGE: &str = concat!(
    "Usage: inet6_route [-vF] del Target\n",
    "       inet6_route [-vF] add Target [gw Gw] [metric M] [[dev] If]\n",
    "       inet6_route [-FC] flush      NOT supported\n",
);
