# SPDX-License-Identifier: GPL-2.0
"""rmem_proto: the wire protocol (include/rmem-proto.h) for the Python test
peers: fake_rmemd.py (a fake memory node) and rmem_attack.py (a hostile
client). One place for the struct layouts and the authentication MACs, so
the two agree with the C side and with each other.
"""
import hashlib
import hmac
import os
import socket
import struct

MAGIC, VERSION = 0x4D454D52, 2
HDR = struct.Struct("<IBBHIIQ")  # struct rmem_msg_hdr, 24 bytes
HELLO = struct.Struct("<QQIIII32s")  # struct rmem_hello, 64 bytes
HELLO_REP = struct.Struct("<QQQIIII24s")  # struct rmem_hello_reply, 64 bytes
AUTH = struct.Struct("<Q32s24s")  # struct rmem_auth, 64 bytes
AUTH_REP = struct.Struct("<32s32s")  # struct rmem_auth_reply, 64 bytes
PING_REP = struct.Struct("<IIII")  # struct rmem_ping_reply, 16 bytes
SLAB_REP = struct.Struct("<IIQQ")  # struct rmem_slab_alloc_reply, 24 bytes
IO = struct.Struct("<IIQ")  # struct rmem_io, 16 bytes
PUB_NAME = struct.Struct("<64sQII")  # struct rmem_pub_name, 80 bytes
PUB_INFO = struct.Struct("<IIQIIQ")  # struct rmem_pub_info, 32 bytes

MSG_HELLO, MSG_SLAB_ALLOC, MSG_SLAB_FREE, MSG_READ, MSG_WRITE = 1, 2, 3, 4, 5
MSG_PING, MSG_SLAB_LIST, MSG_AUTH = 6, 7, 8
MSG_PUB_CREATE, MSG_PUB_ALLOC, MSG_PUB_SEAL, MSG_PUB_OPEN = 9, 10, 11, 12
MSG_PUB_MAP, MSG_PUB_CLOSE, MSG_PUB_DELETE = 13, 14, 15
F_REPLY = 1
ERR = {0: "OK", 1: "PROTO", 2: "VERSION", 3: "INVAL", 4: "NOSPC", 5: "NOENT",
       6: "RANGE", 7: "TOOBIG", 8: "PERM", 9: "STATE", 10: "EXIST", 11: "BUSY",
       12: "RDONLY"}
FEAT_TCP, FEAT_RDMA, FEAT_AUTH, FEAT_PUBLISH = 1, 2, 4, 8
PUB_F_SEALED, PUB_F_OWNER = 1, 2


def read_key(path):
    """The 32 key bytes of a key file (64 hex digits)."""
    with open(path) as f:
        return bytes.fromhex(f.read().strip())


def mac(key, *parts):
    return hmac.new(key, b"".join(parts), hashlib.sha256).digest()


def key_id(key):
    return struct.unpack("<Q", mac(key, b"rmem-auth-key-id")[:8])[0]


def server_mac(key, kid, nc, ns):
    return mac(key, b"rmem-auth-server", struct.pack("<Q", kid), nc, ns)


def client_mac(key, kid, nc, ns, hello32):
    return mac(key, b"rmem-auth-client", struct.pack("<Q", kid), nc, ns, hello32)


def session_tag(session):
    return hashlib.sha256(struct.pack("<Q", session)).digest()[:4].hex()


def recv_all(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise ConnectionError("closed")
        b += d
    return b


def send_msg(s, mtype, mid, payload, version=VERSION, flags=0, status=0):
    s.sendall(HDR.pack(MAGIC, version, mtype, flags, len(payload), status, mid) + payload)


def recv_msg(s):
    """(type, flags, status, id, payload) of the next message."""
    magic, _, mtype, flags, plen, status, mid = HDR.unpack(recv_all(s, HDR.size))
    if magic != MAGIC or plen > (1 << 20) + 64:
        raise ConnectionError("bad header")
    return mtype, flags, status, mid, recv_all(s, plen)


def pub_name(name, size=0):
    """A PUB_CREATE, PUB_SEAL, PUB_OPEN or PUB_DELETE payload."""
    return PUB_NAME.pack(name.encode(), size, 0, 0)


def hello_payload(session, queue, features=FEAT_TCP, generation=0, tail=bytes(32)):
    return HELLO.pack(features, session, queue, 1 << 20, generation, 0, tail)


class Client:
    """A client connection to rmemd that does what it is told, right or wrong."""

    def __init__(self, addr, port, timeout=10.0, src=None):
        self.s = socket.create_connection((addr, port), timeout=timeout,
                                          source_address=(src, 0) if src else None)
        self.mid = 0
        self.nc = self.ns = None

    def close(self):
        self.s.close()

    def call(self, mtype, payload):
        """Send a request, return (status, payload) of its reply."""
        self.mid += 1
        send_msg(self.s, mtype, self.mid, payload)
        rtype, flags, status, rid, p = recv_msg(self.s)
        if rtype != mtype or rid != self.mid or not flags & F_REPLY:
            raise ConnectionError("unexpected reply type %d id %d" % (rtype, rid))
        return status, p

    def auth(self, key, kid=None):
        """AUTH with @key (or just @kid): status, and whether the server proved the key."""
        kid = key_id(key) if kid is None else kid
        self.kid, self.nc = kid, os.urandom(32)
        st, p = self.call(MSG_AUTH, AUTH.pack(kid, self.nc, bytes(24)))
        if st:
            return st, False
        self.ns, smac = AUTH_REP.unpack(p)
        return st, key is not None and hmac.compare_digest(smac, server_mac(key, kid, self.nc, self.ns))

    def hello(self, key, session, queue=0, features=FEAT_TCP | FEAT_AUTH, raw=None):
        """HELLO (macced with @key when given, or @raw bytes as the payload)."""
        if raw is None:
            head = hello_payload(session, queue, features)[:32]
            tail = client_mac(key, self.kid, self.nc, self.ns, head) if key else bytes(32)
            raw = head + tail
        self.last_hello = raw
        return self.call(MSG_HELLO, raw)

    def closed(self, wait=5.0):
        """True once the server closed this connection (EOF or reset) within @wait s."""
        self.s.settimeout(wait)
        try:
            return self.s.recv(1) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
