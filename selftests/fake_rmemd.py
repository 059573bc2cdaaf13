#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""fake_rmemd: a memory node that answers HELLO and PING over TCP and
nothing else, with the HELLO reply's fields read from a config file. For
the tests of how rmem.ko checks what a node says (hello_check_test.sh).

    fake_rmemd.py PORT CONFIG [KEYFILE]

With KEYFILE (or $RMEM_KEY_FILE) it authenticates as rmemd does (AUTH, then
a HELLO with a valid mac); without, it takes a plain HELLO. CONFIG holds KEY=VALUE lines: slab_size, slabs_total, slabs_free, max_io,
flags, instance, features (numbers, 0x... allowed), and two ways to lie:
auth_bad_mac (non-zero: AUTH replies carry a made-up server mac, as a node
without the key would send) and reply_version (the header version of every
reply, default 2). It is read at every
HELLO; when it changes, every connection is closed, so the client
reconnects and meets the new values. Any other request closes the
connection: this is not a data server.
"""
import hmac
import os
import socket
import struct
import sys
import threading
import time

from rmem_proto import (AUTH, AUTH_REP, HDR, HELLO_REP, MAGIC, MSG_AUTH, MSG_HELLO,
                        MSG_PING, PING_REP, VERSION, F_REPLY, client_mac, key_id,
                        read_key, recv_all, server_mac)

ERR_PERM = 8
DEFAULTS = {"slab_size": 64 << 20, "slabs_total": 16, "slabs_free": 16,
            "max_io": 1 << 20, "flags": 0, "instance": 0x1234, "features": 1,
            "auth_bad_mac": 0, "reply_version": VERSION}

conns = []
lock = threading.Lock()


def config(path):
    c = dict(DEFAULTS)
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.split("=", 1)
                c[k.strip()] = int(v.strip(), 0)
    return c


def reply(s, mtype, mid, payload, status=0, version=VERSION):
    s.sendall(HDR.pack(MAGIC, version, mtype, F_REPLY, len(payload), status, mid) + payload)


def serve(s, path, key):
    nonces, authed = None, not key
    try:
        while True:
            magic, ver, mtype, _, plen, _, mid = HDR.unpack(recv_all(s, HDR.size))
            if magic != MAGIC or ver != VERSION or plen > 4096:
                return
            p = recv_all(s, plen)
            c = config(path)
            if key and mtype == MSG_AUTH:
                kid, nc, _ = AUTH.unpack(p)
                if kid != key_id(key):
                    reply(s, mtype, mid, b"", ERR_PERM)
                    return
                ns = os.urandom(32)
                nonces = (kid, nc, ns)
                smac = os.urandom(32) if c["auth_bad_mac"] else server_mac(key, kid, nc, ns)
                reply(s, mtype, mid, AUTH_REP.pack(ns, smac), version=c["reply_version"])
            elif not authed and (mtype != MSG_HELLO or nonces is None or len(p) != 64 or
                                 not hmac.compare_digest(p[32:], client_mac(key, *nonces, p[:32]))):
                reply(s, mtype, mid, b"", ERR_PERM)
                return
            elif mtype == MSG_HELLO:
                authed = True
                reply(s, mtype, mid, HELLO_REP.pack(
                    c["features"], c["instance"], c["slab_size"], c["slabs_total"],
                    c["slabs_free"], c["max_io"], c["flags"], bytes(24)),
                      version=c["reply_version"])
            elif mtype == MSG_PING:
                reply(s, mtype, mid, PING_REP.pack(c["slabs_free"], 0,
                                                   c["instance"] & 0xFFFFFFFF, 0))
            else:
                return
    except (OSError, ConnectionError, struct.error):
        pass
    finally:
        with lock:
            if s in conns:
                conns.remove(s)
        s.close()


def watch(path):
    last = os.stat(path).st_mtime_ns
    while True:
        time.sleep(0.2)
        try:
            now = os.stat(path).st_mtime_ns
        except OSError:
            continue
        if now != last:
            last = now
            with lock:
                for s in conns:
                    s.shutdown(socket.SHUT_RDWR)


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    kf = sys.argv[3] if len(sys.argv) > 3 else os.environ.get("RMEM_KEY_FILE")
    key = read_key(kf) if kf else None
    config(path)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(16)
    threading.Thread(target=watch, args=(path,), daemon=True).start()
    print(f"fake_rmemd: listening on {port}", flush=True)
    while True:
        s, _ = ls.accept()
        with lock:
            conns.append(s)
        threading.Thread(target=serve, args=(s, path, key), daemon=True).start()


if __name__ == "__main__":
    main()
