# Opens the sockets the netstat recordings and live tests look at, inside the namespace it is
# started in, then sleeps until killed: listening and connected TCP, UDP (bound and connected),
# raw ICMP/ICMPv6, unix stream (listening + connected), datagram, abstract seqpacket and a
# socketpair; IPv4 and IPv6. The namespace needs 10.77.0.1/24 and 10.77.0.2/24, fd77::1/64 and
# 2001:db8:aaaa:bbbb:cccc:dddd:eeee:1/64 (nodad). Creates SOCK.ready once everything is open.
# Usage: python3 netstat-holder.py SOCK [EXTRA_LISTENERS]
import socket, sys, time

sock = sys.argv[1]
extra = int(sys.argv[2]) if len(sys.argv) > 2 else 0
keep = []


def listen(fam, addr, port, kind=socket.SOCK_STREAM):
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if kind == socket.SOCK_STREAM:
        s.listen(8)
    keep.append(s)


long6 = '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1'
listen(socket.AF_INET, '0.0.0.0', 22)
listen(socket.AF_INET, '127.0.0.1', 8080)
listen(socket.AF_INET, '10.77.0.1', 5432)
listen(socket.AF_INET6, '::', 80)
listen(socket.AF_INET6, 'fd77::1', 443)
listen(socket.AF_INET6, long6, 65000)
listen(socket.AF_INET, '0.0.0.0', 53, socket.SOCK_DGRAM)
listen(socket.AF_INET6, '::', 123, socket.SOCK_DGRAM)
for i in range(extra):
    listen(socket.AF_INET, '10.77.0.1', 20000 + i)
for addr, port in [('127.0.0.1', 8080), ('10.77.0.1', 5432), ('fd77::1', 443), (long6, 65000)]:
    keep.append(socket.create_connection((addr, port)))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect(('10.77.0.2', 9))
keep.append(u)
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u6.connect(('fd77::2', 514))
keep.append(u6)
keep.append(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
keep.append(socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6))
x = socket.socket(socket.AF_UNIX)
x.bind(sock)
x.listen(4)
keep.append(x)
c = socket.socket(socket.AF_UNIX)
c.connect(sock)
keep.append(c)
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
d.bind(sock + 'd')
keep.append(d)
a = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
a.bind('\0' + sock.rsplit('/', 1)[-1] + '-abstract')
a.listen(1)
keep.append(a)
keep.extend(socket.socketpair())
open(sock + '.ready', 'w').close()
time.sleep(3600)
