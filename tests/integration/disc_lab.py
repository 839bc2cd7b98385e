"""The host-discovery lab of issue 15 (see ../shared/LAB.md), shared by
test_scan_discovery.py and bench/discovery.py.

    scanner 198.18.4.1/22  fd00:5c09::1/64
       |
    switch (a bridge in its own namespace, multicast snooping off)
       |-- on-link hosts: a few namespaces, each holding many /32 (/128) addresses
       |   of 198.18.4.0/22 (fd00:5c09::/64); each address answers ARP (ND) on its
       |   own, so a live address is one the kernel owns, nothing else
       |-- router 198.18.4.254  fd00:5c09::fe  (forwarding)
              |
           far namespace: 198.18.8.0/24 (fd00:5c09:1::/64) behind the router, with an
           nftables ruleset: some addresses drop ICMP echo (and answer TCP), some
           drop everything (so count as down, as nmap says)
    and DARK4, 198.18.9.0/24: routed to the router, which drops it (silent)

Which addresses live, drop echo or drop everything is drawn from a seed, so
every run (and every lab we do not see) differs. Every namespace is made with
the caller's factory and removed by it.
"""
import ipaddress
import random
import subprocess

from test_scan_raw import start_listeners  # every port, both families, every address

ONLINK4 = ipaddress.ip_network("198.18.4.0/22")
ONLINK6 = ipaddress.ip_network("fd00:5c09::/64")
FAR4 = ipaddress.ip_network("198.18.8.0/24")
FAR6 = ipaddress.ip_network("fd00:5c09:1::/64")
SCANNER4, SCANNER6 = "198.18.4.1", "fd00:5c09::1"
ROUTER4, ROUTER6 = "198.18.4.254", "fd00:5c09::fe"
RFAR4, RFAR6 = "198.18.8.254", "fd00:5c09:1::fe"
DARK4 = ipaddress.ip_network("198.18.9.0/24")

def _veth(tag, a, b, br_ns=None):
    """A veth pair from namespace a (end 'a') to namespace b; the b end joins br0 when br_ns."""
    ea, eb = f"da{tag}", f"db{tag}"
    subprocess.run(["ip", "link", "add", ea, "netns", a.name, "type", "veth", "peer",
                    "name", eb, "netns", b.name], check=True)
    a.sh(f"ip link set {ea} up")
    if br_ns:
        b.sh(f"ip link set {eb} master br0 up")
    else:
        b.sh(f"ip link set {eb} up")
    return ea, eb


class DiscLab:
    """Builds the lab with make(tag) -> Netns. Attributes after build():
    live4/live6        on-link addresses that answer (strings), the router included
    far_live4/6        off-link addresses that answer something
    far_noecho4/6      off-link addresses that drop ICMP echo but answer TCP
    far_dark4/6        off-link addresses that exist but drop everything (down)
    up4/up6            every address nmap -sn calls up (scanner and router included)
    hosts              the on-link host namespaces; far: the far namespace
    """

    def __init__(self, make, seed=None, onlink_hosts=3, per_host=17, far_live=16,
                 far_noecho=5, far_dark=4, ports=None):
        self.make = make
        self.rng = random.Random(seed)
        self.onlink_hosts, self.per_host = onlink_hosts, per_host
        self.n_far, self.n_noecho, self.n_dark = far_live, far_noecho, far_dark
        # Ports each on-link host namespace (and the far one) listens on.
        self.ports = ports if ports is not None else [[22, 80], [443, 8080], [25, 3306]]
        self.tag = "%x" % self.rng.randrange(1 << 20)

    def _pick(self, net, n, avoid):
        hosts = [a for a in (net[i] for i in range(2, min(net.num_addresses, 1 << 16) - 1))
                 if str(a) not in avoid]
        return [str(a) for a in self.rng.sample(hosts, n)]

    def build(self):
        t = self.tag
        self.scanner = self.make("dsc")
        self.switch = self.make("dsw")
        self.router = self.make("drt")
        self.far = self.make("dfar")
        self.switch.sh("ip link add br0 type bridge mcast_snooping 0 stp_state 0 && "
                       "ip link set br0 up")
        s, _ = _veth(f"s{t}", self.scanner, self.switch, True)
        self.scanner_if = s
        self.scanner.sh(f"ip addr add {SCANNER4}/22 dev {s} && "
                        f"ip -6 addr add {SCANNER6}/64 dev {s} nodad && "
                        f"ip route add {FAR4} via {ROUTER4} && "
                        f"ip route add {DARK4} via {ROUTER4} && "
                        f"ip -6 route add {FAR6} via {ROUTER6}")
        r, _ = _veth(f"r{t}", self.router, self.switch, True)
        rf, ff = _veth(f"f{t}", self.router, self.far)
        self.router.sh(f"ip addr add {ROUTER4}/22 dev {r} && "
                       f"ip -6 addr add {ROUTER6}/64 dev {r} nodad && "
                       f"ip addr add {RFAR4}/24 dev {rf} && "
                       f"ip -6 addr add {RFAR6}/64 dev {rf} nodad && "
                       f"ip route add blackhole {DARK4} && "
                       "sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1")
        avoid = {SCANNER4, ROUTER4, SCANNER6, ROUTER6}
        n_on = self.onlink_hosts * self.per_host
        on4 = self._pick(ONLINK4, n_on, avoid)
        on6 = self._pick(ONLINK6, n_on, avoid)
        self.hosts = []
        for k in range(self.onlink_hosts):
            h = self.make(f"dh{k}")
            e, _ = _veth(f"h{k}{t}", h, self.switch, True)
            a4 = on4[k * self.per_host:(k + 1) * self.per_host]
            a6 = on6[k * self.per_host:(k + 1) * self.per_host]
            cmds = [f"ip addr add {a4[0]}/22 dev {e}", f"ip -6 addr add {a6[0]}/64 dev {e} nodad"]
            cmds += [f"ip addr add {a}/32 dev {e}" for a in a4[1:]]
            cmds += [f"ip -6 addr add {a}/128 dev {e} nodad" for a in a6[1:]]
            cmds += [f"ip route add {FAR4} via {ROUTER4}", f"ip -6 route add {FAR6} via {ROUTER6}"]
            h.sh(" && ".join(cmds))
            h.addrs4, h.addrs6 = a4, a6
            self.hosts.append(h)
        far4 = self._pick(FAR4, self.n_far + self.n_dark, {RFAR4})
        far6 = self._pick(FAR6, self.n_far + self.n_dark, {RFAR6})
        cmds = [f"ip addr add {far4[0]}/24 dev {ff}", f"ip -6 addr add {far6[0]}/64 dev {ff} nodad"]
        cmds += [f"ip addr add {a}/32 dev {ff}" for a in far4[1:]]
        cmds += [f"ip -6 addr add {a}/128 dev {ff} nodad" for a in far6[1:]]
        cmds += [f"ip route add default via {RFAR4}", f"ip -6 route add default via {RFAR6}"]
        self.far.sh(" && ".join(cmds))
        # far4[0] stays plain (it carries the subnet route); the rest is shuffled into kinds.
        self.far_dark4, self.far_dark6 = far4[-self.n_dark:], far6[-self.n_dark:]
        self.far_live4, self.far_live6 = far4[:self.n_far], far6[:self.n_far]
        self.far_noecho4 = self.far_live4[1:1 + self.n_noecho]
        self.far_noecho6 = self.far_live6[1:1 + self.n_noecho]
        ruleset = "table inet lab { chain input { type filter hook input priority 0; policy accept;\n"
        if self.n_dark:
            ruleset += ("ip daddr { %s } drop\n" % ", ".join(self.far_dark4) +
                        "ip6 daddr { %s } meta l4proto != ipv6-icmp drop\n" % ", ".join(self.far_dark6) +
                        "ip6 daddr { %s } icmpv6 type { echo-request, echo-reply } drop\n"
                        % ", ".join(self.far_dark6))
        if self.n_noecho:
            ruleset += ("ip daddr { %s } icmp type echo-request drop\n" % ", ".join(self.far_noecho4) +
                        "ip6 daddr { %s } icmpv6 type echo-request drop\n" % ", ".join(self.far_noecho6))
        ruleset += "}\n}\n"
        r_ = self.far.run(["nft", "-f", "-"], input=ruleset)
        assert r_.rc == 0, r_
        self.live4 = sorted(sum((h.addrs4 for h in self.hosts), []) + [ROUTER4])
        self.live6 = sorted(sum((h.addrs6 for h in self.hosts), []) + [ROUTER6])
        self.up4 = set(self.live4) | set(self.far_live4) | {SCANNER4, RFAR4}
        self.up6 = set(self.live6) | set(self.far_live6) | {SCANNER6, RFAR6}
        return self

    def listen(self):
        """Starts the listeners (self.ports[k] in on-link host k, the first list in far)."""
        for k, h in enumerate(self.hosts):
            start_listeners(h, self.ports[k % len(self.ports)])
        start_listeners(self.far, self.ports[0])

    def open_ports(self, addr):
        """The TCP ports open at addr (on-link or far), empty for a dark one."""
        for k, h in enumerate(self.hosts):
            if addr in h.addrs4 or addr in h.addrs6:
                return set(self.ports[k % len(self.ports)])
        if addr in self.far_live4 or addr in self.far_live6:
            return set(self.ports[0])
        return set()
