"""listen.py ADDR BACKLOG PORT...: accept-and-close TCP listeners for the benchmarks.

Binds every PORT on ADDR, prints READY once all listen, then accepts and closes
connections until killed.
"""
import selectors
import socket
import sys

addr, backlog, ports = sys.argv[1], int(sys.argv[2]), map(int, sys.argv[3:])
sel = selectors.DefaultSelector()
for p in ports:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, p)); s.listen(backlog); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print("READY", flush=True)
while True:
    for k, _ in sel.select():
        try: k.fileobj.accept()[0].close()
        except OSError: pass
