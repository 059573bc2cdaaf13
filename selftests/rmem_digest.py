#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rmem_digest: what the published-region tests (publish_test.sh,
shared_test.sh) read and try to write.

  rmem_digest.py PATH SIZE [direct]
      sha256 of PATH's first SIZE bytes, zeros past its end: a regular
      file, a block device (read(); O_DIRECT with "direct", so every byte
      comes from the memory nodes), or an mmap region's character device
      (read through a shared read-only mapping, page by page).
  rmem_digest.py --write-errors DEV
      how writing is refused: the errno name of open(O_RDWR) ("OK" if it
      opened; rmem's EROFS), then, for mmap devices ("-" for a block
      device), of a PROT_WRITE shared mapping of a read-only open (the
      VFS's EACCES) and of a PROT_WRITE private mapping (copy-on-write,
      which rmem refuses itself: EINVAL).
"""
import errno
import hashlib
import mmap
import os
import stat
import sys

CHUNK = 1 << 20


def digest(path, size, direct):
    h = hashlib.sha256()
    flags = os.O_RDONLY | (os.O_DIRECT if direct else 0)
    fd = os.open(path, flags)
    try:
        if stat.S_ISCHR(os.fstat(fd).st_mode):
            m = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ)
            for off in range(0, size, CHUNK):
                h.update(m[off:min(off + CHUNK, size)])
            m.close()
            return h.hexdigest()
        # O_DIRECT needs an aligned buffer: an anonymous mapping is one.
        buf = mmap.mmap(-1, CHUNK)
        done = 0
        while done < size:
            n = os.readv(fd, [buf])
            if n <= 0:
                break
            n = min(n, size - done)
            h.update(buf[:n])
            done += n
        buf.close()
        h.update(bytes(size - done))
        return h.hexdigest()
    finally:
        os.close(fd)


def errname(fn):
    try:
        fn()
        return "OK"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def write_errors(dev):
    def open_rw():
        os.close(os.open(dev, os.O_RDWR))

    def map_rw(flags):
        fd = os.open(dev, os.O_RDONLY)
        try:
            mmap.mmap(fd, mmap.PAGESIZE, flags,
                      mmap.PROT_READ | mmap.PROT_WRITE).close()
        finally:
            os.close(fd)

    if not stat.S_ISCHR(os.stat(dev).st_mode):
        return "%s - -" % errname(open_rw)
    return "%s %s %s" % (errname(open_rw),
                         errname(lambda: map_rw(mmap.MAP_SHARED)),
                         errname(lambda: map_rw(mmap.MAP_PRIVATE)))


def main(argv):
    if len(argv) == 3 and argv[1] == "--write-errors":
        print(write_errors(argv[2]))
        return 0
    if len(argv) in (3, 4) and (len(argv) == 3 or argv[3] == "direct"):
        print(digest(argv[1], int(argv[2], 0), len(argv) == 4))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
