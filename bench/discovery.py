#!/usr/bin/env python3
"""Host discovery and many hosts at once (issue 15), side by side with nmap in one run, on
the lab of tests/integration/disc_lab.py (an on-link /22 with some fifty live addresses, a
/24 behind a router where some hosts drop ICMP echo and some drop everything):

  1. -sn of the lab (1,280 addresses): portscope vs nmap -sn, RUNS paired runs, the same
     hosts up each time (goal: <= 0.3x nmap's time)
  2. -F of the sparse range: portscope vs nmap -F, hosts up and open ports compared
  3. -sV of 64 hosts with 4 real services each (sshd, nginx, redis, vsftpd listening on
     every address of one namespace): portscope vs nmap -sV (goal: <= 0.1x)
  4. peak RSS (and time) of portscope -sn over a /16 routed to the router (goal: <= 32 MB)

RUNS (default 3), SV_RUNS (default 1), PORTSCOPE_BIN. Needs root (namespaces).
"""
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "integration"))
from conftest import Netns  # noqa: E402
from disc_lab import FAR4, ONLINK4, ROUTER4, DiscLab, _veth  # noqa: E402

BIN = os.environ["PORTSCOPE_BIN"]
RUNS = int(os.environ.get("RUNS", "3"))
SV_RUNS = int(os.environ.get("SV_RUNS", "1"))
RANGE = [str(ONLINK4), str(FAR4)]
SV_PORTS = "21,22,80,6379"


def timed(ns, argv, timeout=1800):
    t = time.monotonic()
    cp = subprocess.run(ns.argv(argv), capture_output=True, text=True, timeout=timeout)
    if cp.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {cp.stderr[-2000:]}")
    return time.monotonic() - t, cp.stdout


def grep_hosts(text):
    """(hosts up, {host: open ports}) from -oG (or -oX) output."""
    up, ports = set(), {}
    if text.startswith("<?xml"):
        import xml.etree.ElementTree as ET
        for host in ET.fromstring(text).iter("host"):
            if host.find("status").get("state") != "up":
                continue
            addr = host.find("address").get("addr")
            up.add(addr)
            ports[addr] = {p.get("portid") for p in host.iter("port")
                           if p.find("state").get("state") == "open"}
        return up, ports
    for line in text.splitlines():
        if not line.startswith("Host: "):
            continue
        addr = line.split()[1]
        if "\tStatus: Up" in line:
            up.add(addr)
        if "\tPorts: " in line:
            field = line.split("\tPorts: ")[1].split("\t")[0]
            ports[addr] = {p.split("/")[0] for p in field.split(", ")
                           if p.count("/") > 1 and p.split("/")[1] == "open"}
    return up, ports


def paired(name, lab, ours, theirs, runs):
    """Runs both RUNS times; prints each pair, the medians and the ratio; returns outputs."""
    pt, nt, ratios, outs = [], [], [], []
    for i in range(runs):
        a, po = timed(lab.scanner, ours)
        b, no = timed(lab.scanner, theirs)
        pu, pp = grep_hosts(po)
        nu, np_ = grep_hosts(no)
        same = "same hosts up" if pu == nu else f"DIFFERENT hosts up ({len(pu)} vs {len(nu)})"
        if pp or np_:
            same += ", same open ports" if pp == np_ else ", DIFFERENT open ports"
        print(f"  run {i + 1}: portscope {a:6.2f} s ({len(pu)} up)   nmap {b:6.2f} s "
              f"({len(nu)} up)   {same}")
        pt.append(a)
        nt.append(b)
        ratios.append(a / b)
        outs.append((po, no))
    print(f"{name}: portscope median {statistics.median(pt):.2f} s, nmap median "
          f"{statistics.median(nt):.2f} s, ratio {statistics.median(ratios):.3f}x "
          f"(median of {runs} paired)")
    return outs


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def service_hosts(lab, tmp):
    """A namespace on the lab's switch with 64 more addresses, each answering sshd, nginx,
    redis and vsftpd on 22, 80, 6379 and 21 (daemons on every address)."""
    ns = lab.make("dsv")
    e, _ = _veth(f"v{lab.tag}", ns, lab.switch, True)
    taken = set(lab.live4) | {ROUTER4, "198.18.4.1"}
    pool = [str(a) for a in ONLINK4.hosts() if str(a) not in taken]
    addrs = sorted(random.Random(7).sample(pool, 64), key=lambda a: tuple(map(int, a.split("."))))
    cmds = [f"ip addr add {addrs[0]}/22 dev {e}"] + [f"ip addr add {a}/32 dev {e}" for a in addrs[1:]]
    ns.sh(" && ".join(cmds))
    os.makedirs("/run/sshd", exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{tmp}/hostkey"],
                   check=True)
    ns.popen(["/usr/sbin/sshd", "-D", "-e", "-f", "/dev/null", "-o", "Port=22",
              "-o", f"HostKey={tmp}/hostkey", "-o", "PidFile=none", "-o", "MaxStartups=1000"])
    os.makedirs(f"{tmp}/nginx", exist_ok=True)
    conf = write(f"{tmp}/nginx.conf", f"""
daemon off; master_process on; worker_processes 2; pid {tmp}/nginx.pid; error_log {tmp}/nginx.err;
events {{ worker_connections 1024; }}
http {{ access_log off; client_body_temp_path {tmp}/nginx/body; proxy_temp_path {tmp}/nginx/p;
  fastcgi_temp_path {tmp}/nginx/f; uwsgi_temp_path {tmp}/nginx/u; scgi_temp_path {tmp}/nginx/s;
  server {{ listen 80; location / {{ return 200 "lab\\n"; }} }} }}
""")
    ns.popen(["/usr/sbin/nginx", "-e", f"{tmp}/nginx.err", "-c", conf])
    ns.popen(["redis-server", "--port", "6379", "--bind", "0.0.0.0", "--save", "",
              "--appendonly", "no", "--protected-mode", "no", "--dir", tmp,
              "--maxclients", "2000"])
    os.makedirs(f"{tmp}/empty", mode=0o755, exist_ok=True)
    ns.popen(["/usr/sbin/vsftpd", write(f"{tmp}/vsftpd.conf",
              "listen=YES\nlisten_port=21\nbackground=NO\nanonymous_enable=NO\n"
              "local_enable=NO\nseccomp_sandbox=NO\nmax_clients=0\nmax_per_ip=0\n"
              f"secure_chroot_dir={tmp}/empty\n")])
    for port in (21, 22, 80, 6379):
        ns.wait_port("tcp", port, timeout=20)
    return ns, addrs


def services(text):
    """{(host, port): service name} from -oX output (method probed only)."""
    import xml.etree.ElementTree as ET
    res = {}
    for host in ET.fromstring(text).iter("host"):
        addr = host.find("address").get("addr")
        for port in host.iter("port"):
            svc = port.find("service")
            if svc is not None and svc.get("method") == "probed":
                res[(addr, int(port.get("portid")))] = svc.get("name")
    return res


def main():
    made = []

    def make(tag):
        ns = Netns(tag)
        made.append(ns)
        return ns

    tmp = tempfile.mkdtemp(prefix="ps-bdisc-", dir="/tmp")
    os.chmod(tmp, 0o755)
    seed = int(os.environ.get("SEED", random.randrange(1 << 30)))
    try:
        lab = DiscLab(make, seed=seed).build()
        lab.make = make
        lab.listen()
        print(f"lab (seed {seed}): {len(lab.live4)} live on-link of 1024, {len(lab.far_live4)} "
              f"live behind the router ({len(lab.far_noecho4)} drop echo), "
              f"{len(lab.far_dark4)} drop everything; nmap {subprocess.run(['nmap', '--version'], capture_output=True, text=True).stdout.split()[2]}")

        print("\n1. -sn of the lab (1,280 addresses)")
        paired("-sn", lab, [BIN, "scan", "--no-history", "-sn", *RANGE, "-oG", "-"],
               ["nmap", "-n", "-sn", *RANGE, "-oG", "-"], RUNS)

        print("\n2. -F of the sparse range")
        paired("-F", lab, [BIN, "scan", "--no-history", "-F", *RANGE, "-oG", "-"],
               ["nmap", "-n", "-F", *RANGE, "-oG", "-"], RUNS)

        print("\n3. -sV of 64 hosts x 4 real services (sshd, nginx, redis, vsftpd)")
        if all(os.path.exists(p) for p in ("/usr/sbin/sshd", "/usr/sbin/nginx",
                                           "/usr/sbin/vsftpd")) and shutil.which("redis-server"):
            _, addrs = service_hosts(lab, tmp)
            target = write(f"{tmp}/sv-hosts", "\n".join(addrs) + "\n")
            outs = paired("-sV", lab, [BIN, "scan", "--no-history", "-sV", "-p", SV_PORTS,
                                       "-iL", target, "-oX", "-"],
                          ["nmap", "-n", "-sV", "-p", SV_PORTS, "-iL", target, "-oX", "-"],
                          SV_RUNS)
            ours, theirs = services(outs[-1][0]), services(outs[-1][1])
            same = sum(1 for k, v in theirs.items() if ours.get(k) == v)
            print(f"  services named: portscope {len(ours)}, nmap {len(theirs)}, "
                  f"the same name on {same} of nmap's {len(theirs)}")
        else:
            print("  skipped: sshd, nginx, vsftpd or redis-server not installed")

        print("\n4. peak RSS of -sn over a /16 (routed to the router, which drops it)")
        lab.scanner.sh(f"ip route add 198.18.0.0/16 via {ROUTER4}")
        lab.router.sh("ip route add blackhole 198.18.0.0/16")
        r = lab.scanner.run(["/usr/bin/time", "-v", BIN, "scan", "--no-history", "-sn",
                             "198.18.0.0/16"], timeout=1800)
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.err).group(1))
        done = re.search(r"portscope done: (.*)", r.out)
        print(f"  portscope -sn 198.18.0.0/16: {done.group(1) if done else r.err[-300:]}; "
              f"peak RSS {rss / 1024:.1f} MB (goal <= 32 MB)")
    finally:
        for ns in reversed(made):
            ns.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
