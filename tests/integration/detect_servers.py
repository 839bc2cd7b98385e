"""Scripted services for the detection tests, written for portscope (run in a lab namespace).

Usage: python3 detect_servers.py CERT KEY
Listens on 127.0.0.1 (TCP unless noted) and prints READY when every port is bound:
  80 SSH banner (a service on another service's port)   2222 SSH banner
  9999 HTTP (nginx-like)   21 FTP (vsftpd-like)   25 SMTP (Postfix-like)   23 telnet IAC
  6379 Redis-like INFO     5432 PostgreSQL-like error   5900 VNC RFB
  53 DNS version.bind over TCP and UDP (dnsmasq-like)   4443 TLS (python ssl)
  7000 silent   7001 closes at once (tcpwrapped)   7002 10 MB banner
  7003 one byte per second forever   7004 one line, then never closes
  7005 binary garbage   7006 TLS that aborts mid-handshake
  9993 IMAP greeting inside TLS (IMAPS-like)
"""
import os
import random
import socket
import ssl
import struct
import sys
import threading
import time

HOST = "127.0.0.1"
STOP = time.monotonic() + 300  # every server ends by itself


def serve(port, handler, tls_ctx=None):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((HOST, port))
    ls.listen(64)

    def loop():
        while time.monotonic() < STOP:
            c, _ = ls.accept()
            threading.Thread(target=run, args=(c,), daemon=True).start()

    def run(c):
        try:
            c.settimeout(60)
            if tls_ctx:
                c = tls_ctx.wrap_socket(c, server_side=True)
            handler(c)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

    threading.Thread(target=loop, daemon=True).start()


def recv_some(c, timeout=10.0):
    c.settimeout(timeout)
    try:
        return c.recv(4096)
    except (socket.timeout, OSError):
        return b""


def banner(text, hold=5.0):
    def h(c):
        c.sendall(text)
        end = time.monotonic() + hold
        while time.monotonic() < end:
            if not recv_some(c, end - time.monotonic()):
                break
    return h


def http(c):
    req = recv_some(c)
    if not req.startswith(b"GET"):
        c.sendall(b"HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n")
        return
    body = b"<html><head><title>Lab page</title></head><body>ok</body></html>\n"
    c.sendall(b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
              b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


def redis(c):
    while True:
        req = recv_some(c, 5)
        if not req:
            return
        if req.upper().startswith(b"INFO"):
            info = (b"# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\n"
                    b"redis_mode:standalone\r\nos:Linux 6.1.0 x86_64\r\n")
            c.sendall(b"$%d\r\n%s\r\n" % (len(info), info))
        elif req.upper().startswith(b"PING"):
            c.sendall(b"+PONG\r\n")
        else:
            c.sendall(b"-ERR unknown command '%s'\r\n" % req.split()[0][:20] if req.split() else b"-ERR\r\n")


def postgres(c):
    req = recv_some(c)
    if len(req) >= 8:
        fields = (b"SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for host \"127.0.0.1\"\0"
                  b"Fauth.c\0L543\0RClientAuthentication\0\0")
        c.sendall(b"E" + struct.pack(">I", len(fields) + 4) + fields)


def dns_answer(q):
    """Answers any query with a TXT record naming dnsmasq, as dnsmasq does for version.bind."""
    if len(q) < 12:
        return None
    qid = q[:2]
    # the question: labels until a zero byte, then type and class
    i = 12
    while i < len(q) and q[i]:
        i += 1 + q[i]
    question = q[12:i + 5]
    txt = b"dnsmasq-2.89"
    answer = b"\xc0\x0c" + struct.pack(">HHIH", 16, 3, 0, len(txt) + 1) + bytes([len(txt)]) + txt
    return qid + b"\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00" + question + answer


def dns_tcp(c):
    data = b""
    while len(data) < 2 or len(data) < 2 + struct.unpack(">H", data[:2])[0]:
        more = recv_some(c)
        if not more:
            return
        data += more
    a = dns_answer(data[2:])
    if a:
        c.sendall(struct.pack(">H", len(a)) + a)


def dns_udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 53))

    def loop():
        while True:
            q, peer = s.recvfrom(2048)
            a = dns_answer(q)
            if a:
                s.sendto(a, peer)
    threading.Thread(target=loop, daemon=True).start()


def silent(c):
    time.sleep(60)


def close_now(c):
    pass


def huge(c):
    chunk = b"A" * 65536
    for _ in range(160):  # 10 MB
        c.sendall(chunk)


def drip(c):
    c.settimeout(2)
    while True:
        c.sendall(b"x")
        time.sleep(1)


def one_line(c):
    c.sendall(b"hello from a server that never closes\r\n")
    time.sleep(60)


def garbage(c):
    # Fixed bytes: random ones now and then begin like a telnet negotiation (0xff 0xfb ...),
    # which nmap's probes rightly call telnet.
    rnd = random.Random(7005).randbytes(65536)
    assert rnd[0] != 0xff
    for _ in range(16):
        c.sendall(rnd)
    time.sleep(60)


def tls_abort(c):
    """Starts a ServerHello (enough to look like TLS), then closes in the middle of the handshake."""
    if recv_some(c)[:1] == b"\x16":
        c.sendall(b"\x16\x03\x03\x00\x50\x02\x00\x00\x4c\x03\x03" + os.urandom(20))


def tls_page(c):
    recv_some(c)
    c.sendall(b"HTTP/1.0 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n")


def main():
    cert, key = sys.argv[1], sys.argv[2]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["http/1.1"])
    serve(80, banner(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))
    serve(2222, banner(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))
    serve(9999, http)
    serve(21, banner(b"220 (vsFTPd 3.0.3)\r\n"))
    serve(25, banner(b"220 mx.lab ESMTP Postfix (Debian/GNU)\r\n"))
    serve(23, banner(b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"))
    serve(5900, banner(b"RFB 003.008\n"))
    serve(6379, redis)
    serve(5432, postgres)
    serve(53, dns_tcp)
    dns_udp()
    serve(4443, tls_page, ctx)
    plain = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    plain.load_cert_chain(cert, key)
    serve(9993, banner(b"* OK [CAPABILITY IMAP4rev1] Dovecot (Debian) ready.\r\n"), plain)
    serve(7000, silent)
    serve(7001, close_now)
    serve(7002, huge)
    serve(7003, drip)
    serve(7004, one_line)
    serve(7005, garbage)
    serve(7006, tls_abort)
    print("READY", flush=True)
    while time.monotonic() < STOP:
        time.sleep(1)


if __name__ == "__main__":
    main()
