#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rmem_attack: a hostile (and one honest) client of rmemd, for auth_test.sh.

    rmem_attack.py CHECK ADDR PORT [KEYFILE [KEYFILE2]] [options]

Each CHECK prints one line saying what it saw and exits 0 when rmemd
behaved as it must, 1 when not:
  nokey    a plain HELLO (no AUTH) is refused with PERM and the connection closed
  badkey   AUTH under a key rmemd does not hold: PERM, closed
  badmac   AUTH under the right key id without the key, then a HELLO with a
           made-up mac: PERM, closed
  proof    rmemd proves it holds KEYFILE: its AUTH reply's mac verifies,
           and its nonce differs on every connection
  replay   an honest AUTH+HELLO succeeds; its HELLO, replayed after a fresh
           AUTH on a new connection, is refused
  stolen   an honest client (KEYFILE) writes a marker in its session; its
           session id, sent without AUTH or under KEYFILE2 (another tenant),
           is refused; the honest client reads its marker back unchanged
  version  a version 1 HELLO gets RMEM_ERR_VERSION (or a close)
  flood    --idle N connections that never say a word (from the --src
           addresses, round robin) and one that drips an AUTH a byte a
           second; then an honest AUTH+HELLO must finish within --limit-ms
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

from rmem_proto import (AUTH, FEAT_TCP, HDR, IO, MAGIC, MSG_AUTH, MSG_HELLO,
                        MSG_READ, MSG_SLAB_ALLOC, MSG_WRITE, SLAB_REP, Client, ERR,
                        hello_payload, key_id, read_key, recv_msg, send_msg)

PERM, VERSION_ERR = 8, 2


def new_session():
    return struct.unpack("<Q", os.urandom(8))[0] | 1


def refused(c, st, what):
    """True if @st is PERM and the server then closed @c."""
    closed = c.closed()
    print("%s: status %s, connection %s" % (what, ERR.get(st, st), "closed" if closed else "still open"))
    return st == PERM and closed


def honest(a, key, session=None):
    c = Client(a.addr, a.port)
    st, proved = c.auth(key)
    if st or not proved:
        raise SystemExit("honest AUTH failed: status %s, server proved key: %s" % (ERR.get(st, st), proved))
    st, _ = c.hello(key, session or new_session())
    if st:
        raise SystemExit("honest HELLO failed: status %s" % ERR.get(st, st))
    return c


def check_nokey(a):
    c = Client(a.addr, a.port)
    st, _ = c.hello(None, new_session(), features=FEAT_TCP)
    return refused(c, st, "plain HELLO")


def check_badkey(a):
    c = Client(a.addr, a.port)
    st, _ = c.auth(os.urandom(32))
    return refused(c, st, "AUTH under an unknown key")


def check_badmac(a):
    key = read_key(a.key)
    c = Client(a.addr, a.port)
    st, _ = c.auth(None, kid=key_id(key))
    if st:
        print("AUTH with the right key id: status %s (expected OK)" % ERR.get(st, st))
        return False
    head = hello_payload(new_session(), 0, FEAT_TCP | 4)[:32]
    st, _ = c.hello(None, 0, raw=head + os.urandom(32))
    return refused(c, st, "HELLO with a made-up mac")


def check_proof(a):
    key = read_key(a.key)
    seen = set()
    for _ in range(3):
        c = Client(a.addr, a.port)
        st, proved = c.auth(key)
        c.close()
        if st or not proved:
            print("AUTH: status %s, server mac verifies: %s" % (ERR.get(st, st), proved))
            return False
        seen.add(c.ns)
    print("3 AUTH replies: server macs verify, %d distinct server nonces" % len(seen))
    return len(seen) == 3


def check_replay(a):
    key = read_key(a.key)
    c = honest(a, key)
    recorded = c.last_hello
    c.close()
    r = Client(a.addr, a.port)
    st, _ = r.auth(key)
    if st:
        print("fresh AUTH: status %s" % ERR.get(st, st))
        return False
    st, _ = r.hello(None, 0, raw=recorded)
    return refused(r, st, "replayed HELLO after a fresh AUTH")


def io_call(c, mtype, payload):
    st, p = c.call(mtype, payload)
    if st:
        raise SystemExit("honest %d: status %s" % (mtype, ERR.get(st, st)))
    return p


def check_stolen(a):
    key = read_key(a.key)
    session = new_session()
    c = honest(a, key, session)
    slab = SLAB_REP.unpack(io_call(c, MSG_SLAB_ALLOC, b""))[0]
    marker = os.urandom(4096)
    io_call(c, MSG_WRITE, IO.pack(slab, len(marker), 0) + marker)
    ok = True
    x = Client(a.addr, a.port)
    st, _ = x.hello(None, session, features=FEAT_TCP)
    ok &= refused(x, st, "the session id without AUTH")
    if a.key2:
        y = Client(a.addr, a.port)
        k2 = read_key(a.key2)
        st, proved = y.auth(k2)
        if st or not proved:
            print("tenant 2 AUTH: status %s, proved %s (expected OK)" % (ERR.get(st, st), proved))
            ok = False
        else:
            st, _ = y.hello(k2, session, queue=0)
            ok &= refused(y, st, "the session id under tenant 2's key")
    back = io_call(c, MSG_READ, IO.pack(slab, len(marker), 0))
    print("the honest client's marker reads back %s" % ("unchanged" if back == marker else "CHANGED"))
    c.close()
    return ok and back == marker


def check_version(a):
    c = Client(a.addr, a.port)
    send_msg(c.s, MSG_HELLO, 1, hello_payload(new_session(), 0), version=1)
    try:
        _, _, st, _, _ = recv_msg(c.s)
    except (ConnectionError, OSError):
        print("version 1 HELLO: closed without a reply")
        return True
    print("version 1 HELLO: status %s" % ERR.get(st, st))
    return st == VERSION_ERR


def check_flood(a):
    key = read_key(a.key)
    srcs = a.src or [None]
    idle, failed = [], 0
    for i in range(a.idle):
        try:
            idle.append(socket.create_connection((a.addr, a.port), timeout=5,
                                                 source_address=(srcs[i % len(srcs)], 0)
                                                 if srcs[i % len(srcs)] else None))
        except OSError:
            failed += 1
    stop = threading.Event()

    def drip():
        try:
            s = socket.create_connection((a.addr, a.port), timeout=5)
            msg = HDR.pack(MAGIC, 2, MSG_AUTH, 0, AUTH.size, 0, 1) + bytes(AUTH.size)
            for b in msg:
                if stop.wait(1.0):
                    break
                s.send(bytes([b]))
        except OSError:
            pass
    t = threading.Thread(target=drip, daemon=True)
    t.start()
    time.sleep(2)
    t0 = time.monotonic()
    c = honest(a, key)
    ms = (time.monotonic() - t0) * 1000
    c.close()
    stop.set()
    print("%d idle connections open (%d refused), one dripping AUTH: an honest AUTH+HELLO took %.0f ms (limit %d)"
          % (len(idle), failed, ms, a.limit_ms))
    for s in idle:
        s.close()
    return ms <= a.limit_ms


def main():
    p = argparse.ArgumentParser()
    p.add_argument("check")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("key", nargs="?")
    p.add_argument("key2", nargs="?")
    p.add_argument("--idle", type=int, default=1000)
    p.add_argument("--src", action="append")
    p.add_argument("--limit-ms", type=int, default=1000)
    a = p.parse_args()
    fn = globals().get("check_" + a.check)
    if not fn:
        p.error("unknown check " + a.check)
    try:
        ok = fn(a)
    except (OSError, ConnectionError, struct.error) as e:
        print("%s: %s" % (a.check, e))
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
