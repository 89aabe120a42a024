//! Shell helpers that migrated scripts call where a legacy value held in a variable decides
//! what the command means (`ifconfig $IF $IP netmask $MASK`, `route add -net $NET netmask
//! $MASK`): the helper decides at run time exactly as net-tools and the kernel would, with
//! `ip` doing the changes. Each helper is emitted once, at the top of the script, and only
//! when a translated line uses it. POSIX sh (dash, bash, busybox ash): no arrays, no `local`;
//! every variable starts with `_nsl`.

/// One helper: its name and its definition (it may call the helpers listed in `needs`).
pub struct Helper {
    pub name: &'static str,
    pub needs: &'static [&'static str],
    pub text: &'static str,
}

pub const HELPERS: &[Helper] = &[
    Helper {
        name: "nslab_ipn",
        needs: &[],
        text: r#"nslab_ipn() { # NS ARGS…: `ip` in namespace NS ('' = this one)
    _nsl_ns=$1; shift
    if [ -n "$_nsl_ns" ]; then ip -n "$_nsl_ns" "$@"; else ip "$@"; fi
}"#,
    },
    Helper {
        name: "nslab_q2i",
        needs: &[],
        text: r#"nslab_q2i() { # A.B.C.D → integer (fails on anything else)
    case $1 in ''|*[!0-9.]*|.*|*.|*..*) return 1 ;; esac
    _nsl_r=$1 _nsl_i=0 _nsl_k=0
    while [ -n "$_nsl_r" ]; do
        _nsl_p=${_nsl_r%%.*}
        case $_nsl_r in *.*) _nsl_r=${_nsl_r#*.} ;; *) _nsl_r= ;; esac
        _nsl_k=$((_nsl_k + 1))
        [ "$_nsl_k" -le 4 ] && [ "$_nsl_p" -le 255 ] || return 1
        _nsl_i=$(( (_nsl_i << 8) | _nsl_p ))
    done
    [ "$_nsl_k" -eq 4 ] && echo "$_nsl_i"
}"#,
    },
    Helper {
        name: "nslab_i2q",
        needs: &[],
        text: r#"nslab_i2q() { # integer → A.B.C.D
    echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"
}"#,
    },
    Helper {
        name: "nslab_mask2len",
        needs: &[],
        text: r#"nslab_mask2len() { # contiguous mask (integer) → prefix length (fails otherwise)
    _nsl_m=$1 _nsl_l=0
    while [ $((_nsl_m & 0x80000000)) -ne 0 ]; do
        _nsl_l=$((_nsl_l + 1)); _nsl_m=$(( (_nsl_m << 1) & 0xffffffff ))
    done
    [ "$_nsl_m" -eq 0 ] && echo "$_nsl_l"
}"#,
    },
    Helper {
        name: "nslab_ifconfig_inet",
        needs: &["nslab_ipn", "nslab_q2i", "nslab_i2q", "nslab_mask2len"],
        text: r#"nslab_ifconfig_inet() { # NS DEV LABEL ADDR[/LEN] [netmask M | broadcast B]…
    # ifconfig's address ioctls on the label's first address, as the kernel does them:
    # SIOCSIFADDR (classful mask), then each netmask/broadcast in order, then /LEN; the link
    # comes up unless LABEL is an alias. Exit 1 when a step fails, as ifconfig does.
    _nsl_n=$1 _nsl_d=$2 _nsl_lb=$3 _nsl_w=$4; shift 4
    case $_nsl_w in
        up|down) nslab_ipn "$_nsl_n" link set dev "$_nsl_d" "$_nsl_w"; return ;;
    esac
    _nsl_pl=
    case $_nsl_w in */*) _nsl_pl=${_nsl_w#*/}; _nsl_w=${_nsl_w%%/*} ;; esac
    case $_nsl_pl in *[!0-9]*) echo "ifconfig: bad prefix length /$_nsl_pl (nslab migrate)" >&2; return 1 ;; esac
    if ! _nsl_a=$(nslab_q2i "$_nsl_w"); then
        echo "ifconfig: $_nsl_w: not an IPv4 address (nslab migrate translates only those)" >&2
        return 1
    fi
    _nsl_bc=0
    nslab_ipn "$_nsl_n" -o link show dev "$_nsl_d" | grep -q '<[^>]*BROADCAST' && _nsl_bc=1
    nslab_ifconfig_cur
    _nsl_fail=0
    _nsl_lbl=; [ "$_nsl_lb" = "$_nsl_d" ] || _nsl_lbl=$_nsl_lb
    # SIOCSIFADDR
    _nsl_h=$((_nsl_a >> 28))
    if [ "$_nsl_h" -eq 14 ]; then
        echo "SIOCSIFADDR: Invalid argument" >&2; _nsl_fail=1
    elif [ "$_nsl_a" != "$_nsl_cl" ]; then
        [ -n "$_nsl_cl" ] && nslab_ipn "$_nsl_n" addr del "$(nslab_i2q "$_nsl_cl")/$_nsl_len" dev "$_nsl_d" ${_nsl_lbl:+label "$_nsl_lbl"}
        _nsl_cl=
        if [ "$_nsl_a" -ne 0 ]; then
            if [ "$_nsl_a" -eq 4294967295 ]; then _nsl_len=0
            elif [ "$_nsl_h" -le 7 ]; then _nsl_len=8
            elif [ "$_nsl_h" -le 11 ]; then _nsl_len=16
            elif [ "$_nsl_h" -le 13 ]; then _nsl_len=24
            else _nsl_len=32; fi
            _nsl_cl=$_nsl_a _nsl_cb=0
            _nsl_mk=$(( (0xffffffff << (32 - _nsl_len)) & 0xffffffff ))
            [ "$_nsl_bc" = 1 ] && [ "$_nsl_len" -lt 31 ] && _nsl_cb=$(( _nsl_a | (~_nsl_mk & 0xffffffff) ))
            nslab_ifconfig_put || _nsl_fail=1
        fi
    fi
    [ -n "$_nsl_pl" ] && set -- "$@" /len "$_nsl_pl"
    while [ $# -ge 2 ]; do
        _nsl_k=$1 _nsl_v=$2; shift 2
        # Each ioctl finds the label's first address again: a re-inserted address may have
        # moved behind another one with the same label.
        nslab_ifconfig_cur
        if [ -z "$_nsl_cl" ]; then
            echo "SIOCSIF$_nsl_k: Cannot assign requested address" >&2; _nsl_fail=1; continue
        fi
        _nsl_om=$(( (0xffffffff << (32 - _nsl_len)) & 0xffffffff )); [ "$_nsl_len" -eq 0 ] && _nsl_om=0
        case $_nsl_k in
            netmask|/len)
                if [ "$_nsl_k" = /len ]; then
                    _nsl_m=$(( ~(0xffffffff >> (_nsl_v & 31)) & 0xffffffff ))
                elif ! _nsl_m=$(nslab_q2i "$_nsl_v"); then
                    echo "ifconfig: $_nsl_v: not a netmask (nslab migrate)" >&2; _nsl_fail=1; continue
                fi
                if ! _nsl_nl=$(nslab_mask2len "$_nsl_m"); then
                    echo "SIOCSIFNETMASK: Invalid argument" >&2; _nsl_fail=1; continue
                fi
                [ "$_nsl_m" -eq "$_nsl_om" ] && continue
                nslab_ipn "$_nsl_n" addr del "$(nslab_i2q "$_nsl_cl")/$_nsl_len" dev "$_nsl_d" ${_nsl_lbl:+label "$_nsl_lbl"}
                [ "$_nsl_bc" = 1 ] && [ "$_nsl_nl" -lt 31 ] &&
                    [ "$_nsl_cb" -eq $(( _nsl_cl | (~_nsl_om & 0xffffffff) )) ] &&
                    _nsl_cb=$(( _nsl_cl | (~_nsl_m & 0xffffffff) ))
                _nsl_len=$_nsl_nl
                nslab_ifconfig_put || _nsl_fail=1 ;;
            broadcast)
                if ! _nsl_b=$(nslab_q2i "$_nsl_v"); then
                    echo "ifconfig: $_nsl_v: not an IPv4 address (nslab migrate)" >&2; _nsl_fail=1; continue
                fi
                if [ "$_nsl_b" -ne "$_nsl_cb" ]; then
                    nslab_ipn "$_nsl_n" addr del "$(nslab_i2q "$_nsl_cl")/$_nsl_len" dev "$_nsl_d" ${_nsl_lbl:+label "$_nsl_lbl"}
                    _nsl_cb=$_nsl_b
                    nslab_ifconfig_put || _nsl_fail=1
                fi
                # ifconfig then sets IFF_BROADCAST: SIOCSIFFLAGS on an alias of a device
                # that is down (flags without IFF_UP) deletes the alias's address.
                if [ -n "$_nsl_lbl" ] && ! nslab_ipn "$_nsl_n" link show dev "$_nsl_d" up | grep -q .; then
                    nslab_ifconfig_cur
                    [ -n "$_nsl_cl" ] && nslab_ipn "$_nsl_n" addr del "$(nslab_i2q "$_nsl_cl")/$_nsl_len" dev "$_nsl_d" label "$_nsl_lbl"
                fi ;;
        esac
    done
    [ -z "$_nsl_lbl" ] && nslab_ipn "$_nsl_n" link set dev "$_nsl_d" up
    return $_nsl_fail
}
nslab_ifconfig_cur() { # (nslab_ifconfig_inet's state) the label's first address, from the kernel
    _nsl_cl= _nsl_len= _nsl_cb=0
    _nsl_cur=$(nslab_ipn "$_nsl_n" -o -4 addr show dev "$_nsl_d" label "$_nsl_lb" |
        awk '{n = split($4, p, "/"); b = "-"; if ($5 == "brd") b = $6; print p[1], (n > 1 ? p[2] : 32), b; exit}')
    [ -n "$_nsl_cur" ] || return 0
    set -- $_nsl_cur
    _nsl_cl=$(nslab_q2i "$1") _nsl_len=$2
    [ "$3" = - ] || _nsl_cb=$(nslab_q2i "$3")
}
nslab_ifconfig_put() { # (nslab_ifconfig_inet's state) add the label's address
    if [ "$_nsl_cb" -ne 0 ]; then
        nslab_ipn "$_nsl_n" addr add "$(nslab_i2q "$_nsl_cl")/$_nsl_len" broadcast "$(nslab_i2q "$_nsl_cb")" dev "$_nsl_d" ${_nsl_lbl:+label "$_nsl_lbl"}
    else
        nslab_ipn "$_nsl_n" addr add "$(nslab_i2q "$_nsl_cl")/$_nsl_len" dev "$_nsl_d" ${_nsl_lbl:+label "$_nsl_lbl"}
    fi
}"#,
    },
    Helper {
        name: "nslab_ifconfig_inet6",
        needs: &["nslab_ipn"],
        text: r#"nslab_ifconfig_inet6() { # NS DEV add|del ADDR[/LEN]: ifconfig's /128 when no length
    _nsl_6=$4
    case $_nsl_6 in */*) ;; *) _nsl_6=$_nsl_6/128 ;; esac
    nslab_ipn "$1" -6 addr "$3" "$_nsl_6" dev "$2"
}"#,
    },
    Helper {
        name: "nslab_route_dst",
        needs: &["nslab_q2i", "nslab_i2q", "nslab_mask2len"],
        text: r#"nslab_route_dst() { # -net|-host|'' TARGET[/LEN] [NETMASK]: route's destination for `ip`
    # As net-tools route decides it: `default` is a network, a bare address a host unless
    # -net; a network without a mask has mask 0, which the kernel refuses but for 0.0.0.0.
    _nsl_x=$1 _nsl_t=$2 _nsl_nm=$3 _nsl_g=0
    case $_nsl_t in */*)
        _nsl_v=${_nsl_t#*/}; _nsl_t=${_nsl_t%%/*}
        case $_nsl_v in ''|*[!0-9]*) echo "route: bad prefix /$_nsl_v (nslab migrate)" >&2; return 1 ;; esac
        _nsl_g=$(( ~(0xffffffff >> (_nsl_v & 31)) & 0xffffffff )) ;;
    esac
    if [ "$_nsl_t" = default ]; then _nsl_a=0 _nsl_net=1
    elif _nsl_a=$(nslab_q2i "$_nsl_t"); then _nsl_net=0
    else echo "$_nsl_t: Unknown host (nslab migrate resolves no names)" >&2; return 1; fi
    [ "$_nsl_x" = -net ] && _nsl_net=1
    [ "$_nsl_x" = -host ] && _nsl_net=0
    if [ -n "$_nsl_nm" ]; then
        # A `netmask` after a `/LEN` that gave a mask is a usage error.
        if [ "$_nsl_g" -ne 0 ]; then echo "route: netmask after /LEN: usage" >&2; return 1; fi
        if ! _nsl_g=$(nslab_q2i "$_nsl_nm"); then echo "$_nsl_nm: Unknown host" >&2; return 1; fi
    fi
    if [ "$_nsl_g" -ne 0 ]; then
        # route's test compares the inverted mask with all ones: any mask refuses a host.
        if [ "$_nsl_net" = 0 ]; then
            echo "route: netmask doesn't make sense with host route" >&2; return 1
        fi
        if ! nslab_mask2len "$_nsl_g" >/dev/null; then echo "route: bogus netmask $_nsl_nm" >&2; return 1; fi
        if [ $(( _nsl_a & ~_nsl_g & 0xffffffff )) -ne 0 ]; then
            echo "route: netmask doesn't match route address" >&2; return 1
        fi
    fi
    if [ "$_nsl_net" = 0 ]; then echo "$(nslab_i2q "$_nsl_a")/32"; return; fi
    if ! _nsl_len=$(nslab_mask2len "$_nsl_g") || [ $(( _nsl_a & ~_nsl_g & 0xffffffff )) -ne 0 ]; then
        echo "SIOCADDRT: Invalid argument" >&2; return 1
    fi
    if [ "$_nsl_len" -eq 0 ]; then echo default; else echo "$(nslab_i2q "$_nsl_a")/$_nsl_len"; fi
}"#,
    },
];

/// The definitions a migrated text needs (those it calls, and theirs), in a fixed order, as
/// one block to put at the top of the script; "" when it calls none.
pub fn block(text: &str) -> String {
    let mut want: Vec<&str> = HELPERS
        .iter()
        .filter(|h| text.contains(&format!("{} ", h.name)))
        .map(|h| h.name)
        .collect();
    let mut k = 0;
    while k < want.len() {
        let h = HELPERS.iter().find(|h| h.name == want[k]).expect("helper");
        for n in h.needs {
            if !want.contains(n) {
                want.push(n);
            }
        }
        k += 1;
    }
    if want.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "{} run-time helpers: legacy values held in variables are decided when the script runs\n",
        super::MARK
    );
    for h in HELPERS.iter().filter(|h| want.contains(&h.name)) {
        out.push_str(h.text);
        out.push('\n');
    }
    out.push_str(&format!("{} end of helpers\n", super::MARK));
    out
}
