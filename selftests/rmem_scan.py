#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rmem_scan.py PID MARKER...: how often each MARKER occurs in the memory of
process PID (every readable mapping, through /proc/PID/mem; root).

Prints one line per marker, "MARKER COUNT", and on stderr the bytes scanned.
crypt_test.sh runs it on a memory guest against rmemd: what a compute node
wrote must not be there in plaintext when its region is encrypted.
Exit: 0, or 2 on a usage or access error.
"""
import sys

# Small: the scanner runs beside rmemd on a memory guest whose RAM is
# mostly donated (check-debug's swap step: 16 MiB pieces, joined to the
# last one's tail, put that guest out of memory and rmemd was OOM-killed).
CHUNK = 1 << 20


def regions(pid):
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            fields = line.split()
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            name = fields[5] if len(fields) > 5 else ""
            if fields[1][0] == "r" and name not in ("[vvar]", "[vsyscall]"):
                yield lo, hi


def main():
    if len(sys.argv) < 3:
        print("usage: rmem_scan.py PID MARKER...", file=sys.stderr)
        return 2
    pid = sys.argv[1]
    markers = [m.encode() for m in sys.argv[2:]]
    counts = [0] * len(markers)
    overlap = max(len(m) for m in markers) - 1
    scanned = 0
    try:
        mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
        maps = list(regions(pid))
    except OSError as e:
        print(f"rmem_scan.py: {e}", file=sys.stderr)
        return 2
    for lo, hi in maps:
        tail = b""
        at = lo
        while at < hi:
            n = min(CHUNK, hi - at)
            try:
                mem.seek(at)
                buf = mem.read(n)
            except OSError:
                break   # an unreadable mapping (a guard page): skip the rest
            if not buf:
                break
            scanned += len(buf)
            data = tail + buf
            for i, m in enumerate(markers):
                # Occurrences that end in the new bytes only: none twice.
                start = 0
                while True:
                    j = data.find(m, start)
                    if j < 0:
                        break
                    if j + len(m) > len(tail):
                        counts[i] += 1
                    start = j + 1
            tail = data[-overlap:] if overlap else b""
            at += len(buf)
    for m, c in zip(sys.argv[2:], counts):
        print(m, c)
    print(f"rmem_scan.py: {scanned} bytes in {len(maps)} mappings of pid {pid}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
