#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py: turn one benchmark run's raw output into a Markdown report and plots.

    bench/report.py RESULTDIR [--raw RAWDIR] [KEY=VALUE ...]

The raw output (as written by bench/guest-blk.sh: fio JSON, perftest text,
iperf3 JSON, swap and redis JSON, meta.txt, failed.tsv) is read from RAWDIR,
else from RESULTDIR/raw. Everything the report uses of it, with the KEY=VALUE
facts about the host, is written to RESULTDIR/summary.json: a compact record
kept in git, from which the report is made again when there is no raw
output (bench/run.sh leaves that in build/bench/). Writes RESULTDIR.md beside
RESULTDIR, and RESULTDIR/{iops,latency}.dat + .png (when gnuplot is
installed). Only the Python standard library is used.
"""
import glob
import json
import os
import re
import shutil
import statistics
import subprocess
import sys

DEV_ORDER = ["rmem-tcp", "rmem-tcp-r2", "rmem-tcp-clear", "rmem-tcp-nosame", "rmem-tcp-nozc",
             "rmem-tcp-noauth",
             "rmem-rdma", "rmem-rdma-r2", "rmem-rdma-clear", "rmem-rdma-nosame", "rmem-rdma-noauth",
             "nvme-tcp", "nvme-tcp-crypt", "nvme-rdma", "nvme-rdma-crypt", "nbd", "brd"]
DEV_LABEL = {
    "rmem-tcp": "rmem TCP",
    "rmem-tcp-r2": "rmem TCP, 2 copies",
    "rmem-rdma": "rmem RDMA",
    "rmem-rdma-r2": "rmem RDMA, 2 copies",
    "rmem-tcp-clear": "rmem TCP, not encrypted",
    "rmem-rdma-clear": "rmem RDMA, not encrypted",
    "rmem-tcp-nosame": "rmem TCP, same_filled=0",
    "rmem-rdma-nosame": "rmem RDMA, same_filled=0",
    "rmem-tcp-nozc": "rmem TCP, tcp_zerocopy=0",
    "rmem-tcp-noauth": "rmem TCP, not encrypted, auth none",
    "rmem-rdma-noauth": "rmem RDMA, not encrypted, auth none",
    "nvme-tcp": "NVMe-oF TCP",
    "nvme-rdma": "NVMe-oF RDMA (rxe)",
    "nvme-tcp-crypt": "NVMe-oF TCP + dm-crypt",
    "nvme-rdma-crypt": "NVMe-oF RDMA (rxe) + dm-crypt",
    "nbd": "NBD",
    "brd": "local brd",
}
TEST_ORDER = ["randread-4k-qd1", "randread-4k-qd16", "randwrite-4k-qd1",
              "randwrite-4k-qd16", "read-1m-qd4", "write-1m-qd4"]
SWAP_ORDER = ["unlimited", "rmem-tcp", "rmem-tcp-r2", "rmem-tcp-clear", "rmem-tcp-nosame",
              "rmem-tcp-nozc", "rmem-rdma",
              "rmem-rdma-r2", "rmem-rdma-clear", "rmem-rdma-nosame", "nvme-tcp",
              "nvme-tcp-crypt", "nvme-rdma", "nvme-rdma-crypt", "nbd", "zram", "disk"]
SWAP_LABEL = dict(DEV_LABEL, unlimited="no limit (all local RAM)", zram="zram",
                  disk="local virtio disk")


def load_json(path):
    """fio and iperf3 may print a warning line before the JSON object."""
    try:
        with open(path) as f:
            text = f.read()
        return json.loads(text[text.index("{"):])
    except (OSError, ValueError):
        return None


def stats(values):
    """(median, min, max) of a list, or None."""
    v = [x for x in values if x is not None]
    if not v:
        return None
    return statistics.median(v), min(v), max(v)


def fmt(x, unit=""):
    if x is None:
        return "–"
    if x >= 100:
        s = f"{x:,.0f}".replace(",", " ")
    elif x >= 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.2f}"
    return s + unit


def fmt_stats(st, unit=""):
    if st is None:
        return "–"
    med, lo, hi = st
    if lo == hi:
        return fmt(med, unit)
    return f"{fmt(med, unit)} ({fmt(lo)}–{fmt(hi)})"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def read_meta(raw):
    meta = {}
    try:
        with open(os.path.join(raw, "meta.txt")) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                meta[k] = v
    except OSError:
        pass
    return meta


def read_failed(raw):
    out = []
    try:
        with open(os.path.join(raw, "failed.tsv")) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("\t")
                if k:
                    out.append((k, v))
    except OSError:
        pass
    return out


def cpu_share(path):
    """{guest: busy %} from a .cpu file: 'NAME busy0 total0 busy1 total1'."""
    res = {}
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) == 5:
                    b0, t0, b1, t1 = map(int, p[1:])
                    if t1 > t0:
                        res[p[0]] = 100.0 * (b1 - b0) / (t1 - t0)
    except (OSError, ValueError):
        pass
    return res


def fio_job_side(j):
    """The read or write figures of fio JSON @j's first job (whichever moved
    more bytes), or None."""
    if not j or not j.get("jobs"):
        return None
    job = j["jobs"][0]
    return job["write" if job["write"]["io_bytes"] > job["read"]["io_bytes"] else "read"]


def read_fio(raw):
    """{test: {dev: {metric: [values per run]}}}"""
    res = {}
    for path in sorted(glob.glob(os.path.join(raw, "fio", "*", "*.r*.json"))):
        test = os.path.basename(os.path.dirname(path))
        dev = re.sub(r"\.r\d+\.json$", "", os.path.basename(path))
        s = fio_job_side(load_json(path))
        if s is None:
            continue
        pct = s.get("clat_ns", {}).get("percentile", {})
        m = res.setdefault(test, {}).setdefault(dev, {})
        cpu = cpu_share(path[:-5] + ".cpu")
        for k, v in (("iops", s["iops"]), ("mbps", s["bw_bytes"] / 1e6),
                     ("p50", pct.get("50.000000", 0) / 1e3 or None),
                     ("p99", pct.get("99.000000", 0) / 1e3 or None),
                     ("cpu_c", cpu.get("compute")), ("cpu_m", cpu.get("mem1"))):
            m.setdefault(k, []).append(v)
    return res


def ordered(keys, order):
    return [k for k in order if k in keys] + sorted(k for k in keys if k not in order)


def read_perftest(raw):
    """{(tool, size): {metric: [values]}}"""
    res = {}
    for path in sorted(glob.glob(os.path.join(raw, "perftest", "*.r*.txt"))):
        m = re.match(r"(ib_read_\w+)-(\d+)\.r\d+\.txt$", os.path.basename(path))
        if not m:
            continue
        tool, size = m.group(1), int(m.group(2))
        d = res.setdefault((tool, size), {})
        with open(path, errors="replace") as f:
            for line in f:
                p = line.split()
                if len(p) < 5 or p[0] != str(size):
                    continue
                try:
                    nums = [float(x) for x in p[1:]]
                except ValueError:
                    continue
                if tool == "ib_read_lat" and len(nums) >= 7:
                    # iterations t_min t_max t_typical t_avg t_stdev p99 [p99.9]
                    d.setdefault("typical", []).append(nums[3])
                    d.setdefault("avg", []).append(nums[4])
                    d.setdefault("p99", []).append(nums[6] if len(nums) > 6 else None)
                elif tool == "ib_read_bw" and len(nums) >= 3:
                    # iterations BW_peak BW_avg MsgRate (MB/s = 2^20 bytes/s)
                    d.setdefault("bw", []).append(nums[2])
                break
    return res


def read_load(raw):
    """[(loadavg, qemu processes)] sampled every 5 s by run.sh."""
    out = []
    try:
        with open(os.path.join(raw, "host-load.txt")) as f:
            for line in f:
                p = line.split()
                if len(p) == 3:
                    out.append((float(p[1]), int(p[2])))
    except (OSError, ValueError):
        pass
    return out


def read_iperf(raw):
    v = []
    for path in sorted(glob.glob(os.path.join(raw, "iperf", "*.json"))):
        j = load_json(path)
        try:
            v.append(j["end"]["sum_received"]["bits_per_second"] / 1e6)
        except (TypeError, KeyError):
            pass
    return v


def read_swap(raw):
    res = {}
    for path in sorted(glob.glob(os.path.join(raw, "swap", "*.json"))):
        j = load_json(path)
        if not j:
            continue
        d = res.setdefault(j["device"], {"seconds": [], "fail": 0, "out": []})
        if j["rc"] == 0:
            d["seconds"].append(float(j["seconds"]))
            d["out"].append(j["pswpout"] * 4096 / 2**20)
        else:
            d["fail"] += 1
    return res


def read_redis(raw):
    """{device: {"fill": [s], "rps": [GET/s], "p99": [ms], "fail": n}}"""
    res = {}
    for path in sorted(glob.glob(os.path.join(raw, "redis", "*.json"))):
        j = load_json(path)
        if not j:
            continue
        d = res.setdefault(j["device"], {"fill": [], "rps": [], "p99": [], "out": [], "fail": 0})
        if j.get("rc") == 0 and "get_rps" in j:
            d["fill"].append(j["fill_seconds"])
            d["rps"].append(j["get_rps"])
            d["p99"].append(j.get("get_p99_ms"))
            d["out"].append(j["pswpout"] * 4096 / 2**20)
        else:
            d["fail"] += 1
    return res


TCRYPT_RE = re.compile(r"\(\s*4096 byte blocks,\s*4096 bytes per update.*?:\s*(\d+) opers/sec")
DMESG_TS = re.compile(r"^\[[ 0-9.]+\] ")


def tcrypt_ops(lines):
    """tcrypt's opers/sec for 4 KiB blocks hashed in one update, or None. Its
    result is a pr_cont() that dmesg may show on a line of its own: a test
    line without a result is joined with the next line."""
    pend = None
    for line in lines:
        line = DMESG_TS.sub("", line.rstrip("\n"))
        if pend is not None and not line.startswith("tcrypt:"):
            line, pend = pend + line, None
        elif "tcrypt: test" in line and "opers/sec" not in line:
            pend = line
            continue
        m = TCRYPT_RE.search(line)
        if m:
            return int(m.group(1))
    return None


def read_replica(raw):
    """raw/replica/ of a --replica run: {"crc": {driver, ops}, "failover":
    {dev: {base, kill}}, "rebuild": {dev: json}}; each part only if there."""
    d = os.path.join(raw, "replica")
    res = {"crc": {}, "failover": {}, "rebuild": {}}
    try:
        with open(os.path.join(d, "crc32c.txt")) as f:
            lines = f.readlines()
        for line in lines:
            if line.startswith("driver "):
                res["crc"]["driver"] = line.split()[1] if len(line.split()) > 1 else "?"
        ops = tcrypt_ops(lines)
        if ops is None:
            # runs before 2026-12-02 15:10 kept only the "tcrypt:" lines;
            # the whole kernel log is in state/
            try:
                with open(os.path.join(raw, "state", "compute-dmesg.txt")) as f:
                    ops = tcrypt_ops(f)
            except OSError:
                pass
        if ops is not None:
            res["crc"]["ops"] = ops
    except OSError:
        pass
    for path in sorted(glob.glob(os.path.join(d, "failover-*.json"))):
        m = re.match(r"failover-(.+)\.(base|kill)\.json$", os.path.basename(path))
        j = load_json(path)
        if not m or not j or not j.get("jobs"):
            continue
        job = j["jobs"][0]
        res["failover"].setdefault(m.group(1), {})[m.group(2)] = {
            "max_ms": max(job[k]["clat_ns"]["max"] for k in ("read", "write")) / 1e6,
            "iops": job["read"]["iops"] + job["write"]["iops"],
            "errors": job.get("error", 0),
        }
    for path in sorted(glob.glob(os.path.join(d, "rebuild-*.json"))):
        j = load_json(path)
        if j:
            res["rebuild"][j.get("device", os.path.basename(path))] = j
    return res


def cpu_per_io(m, ncpu):
    """Compute-guest CPU time per I/O, µs (busy share x CPUs / IOPS)."""
    c, i = median(stats(m.get("cpu_c", []))), median(stats(m.get("iops", [])))
    return c / 100 * ncpu / i * 1e6 if c and i and ncpu else None


def pair_table(w, fio, pairs, ncpu, header):
    """fio figures of device pairs [(label, base, other)]: IOPS, p50 and
    compute CPU per I/O of each, and other ÷ base; header: the table's first
    line."""
    w(header)
    w("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for t in ordered(fio.keys(), TEST_ORDER):
        for label, a, b in pairs:
            ma, mb = fio[t].get(a), fio[t].get(b)
            if not ma or not mb:
                continue
            ia, ib = median(stats(ma["iops"])), median(stats(mb["iops"]))
            pa, pb = median(stats(ma["p50"])), median(stats(mb["p50"]))
            w(f"| {t} | {DEV_LABEL.get(label, label)} | {fmt(ia)} | {fmt(ib)} | {ratio(ib, ia)} | "
              f"{fmt(pa)} / {fmt(pb)} | {ratio(pb, pa)} | {fmt(cpu_per_io(ma, ncpu))} / "
              f"{fmt(cpu_per_io(mb, ncpu))} |")
    w("")


def on_off_section(L, fio, sw, meta, suffix, title, text):
    """A feature on (rmem-T, the default) against off (rmem-T + suffix): the
    section's title and text and the fio pairs' table. Returns the pairs
    [(on, off)] of this run (none: nothing written)."""
    w = L.append
    pairs = [(d, d + suffix) for d in ("rmem-tcp", "rmem-rdma")
             if any(d + suffix in t for t in fio.values()) or d + suffix in sw]
    if not pairs:
        return []
    w(title)
    w("")
    w(text)
    w("")
    pair_table(w, fio, [(a, b, a) for a, b in pairs], float(meta.get("compute_cpus", 0) or 0),
               "| test | device | IOPS off | IOPS on | × IOPS | p50 µs off / on | × p50 "
               "| compute CPU µs per I/O off / on |")
    return pairs


def crypt_tables(L, fio, sw, meta):
    """Page encryption against none (bench/run.sh --crypt): the same jobs on a
    region with encrypt on (rmem-T, the default) and one with it off
    (rmem-T-clear)."""
    w = L.append
    pairs = on_off_section(L, fio, sw, meta, "-clear", "## Page encryption: on against off",
                           "The same fio jobs on a region with encrypt on (xts(aes), the default) "
                           "and one with encrypt off, on the same memory node. × = encrypted ÷ not "
                           "encrypted, medians.")
    if not pairs:
        return
    rows = [(a, b) for a, b in pairs if sw.get(a, {}).get("seconds") and sw.get(b, {}).get("seconds")]
    if rows:
        w("Swap workload (rmem_pattern under a cgroup limit, see above): runtime with encryption "
          "÷ without.")
        w("")
        w("| device | runtime s off | runtime s on | × runtime |")
        w("| --- | --- | --- | --- |")
        for a, b in rows:
            so, sn = median(stats(sw[b]["seconds"])), median(stats(sw[a]["seconds"]))
            w(f"| {DEV_LABEL.get(a, a)} | {fmt(so)} | {fmt(sn)} | {ratio(sn, so)} |")
        w("")


# Like for like against NVMe-oF (bench/run.sh --crypt): (rmem, NVMe-oF, what
# both do) on each transport.
LIKE_PAIRS = [(f"rmem-{t}", f"nvme-{t}-crypt", "both encrypted") for t in ("tcp", "rdma")] + \
    [(f"rmem-{t}-clear", f"nvme-{t}", "neither encrypted") for t in ("tcp", "rdma")]


def like_tables(L, fio, sw, meta):
    """rmem against NVMe-oF doing the same work (bench/run.sh --crypt): an
    encrypted region against NVMe-oF under dm-crypt (aes-xts-plain64, 4 KiB
    sectors: rmem's cipher and data unit), a region without encryption
    against plain NVMe-oF."""
    w = L.append
    pairs = [(r, n, how) for r, n, how in LIKE_PAIRS
             if any(r in t and n in t for t in fio.values()) or (r in sw and n in sw)]
    if not pairs:
        return
    w("## Like for like: rmem against NVMe-oF doing the same work")
    w("")
    w("NVMe-oF does not encrypt; rmem does by default. Here each rmem region is measured against "
      "NVMe-oF on the same link doing what it does: an encrypted region (xts(aes), a 4 KiB unit "
      "per page, its index the tweak) against NVMe-oF under dm-crypt on the compute guest "
      "(aes-xts-plain64, 4 KiB sectors, a 512-bit key: the same cipher and unit), and a region "
      "with `encrypt off` against plain NVMe-oF. × = rmem ÷ NVMe-oF, medians.")
    w("")
    pair_table(w, fio, [(f"{DEV_LABEL.get(r, r)} ({DEV_LABEL.get(n, n)}: {how})", n, r)
                        for r, n, how in pairs], float(meta.get("compute_cpus", 0) or 0),
               "| test | rmem device (NVMe-oF device) | IOPS NVMe-oF | IOPS rmem | × IOPS | "
               "p50 µs NVMe-oF / rmem | × p50 | compute CPU µs per I/O NVMe-oF / rmem |")
    rows = [(r, n, how) for r, n, how in pairs
            if sw.get(r, {}).get("seconds") and sw.get(n, {}).get("seconds")]
    if rows:
        w("Swap workload (rmem_pattern under a cgroup limit, see above): runtime on rmem ÷ on "
          "NVMe-oF doing the same work.")
        w("")
        w("| rmem device (NVMe-oF device) | runtime s NVMe-oF | runtime s rmem | × runtime |")
        w("| --- | --- | --- | --- |")
        for r, n, how in rows:
            sr, sn = median(stats(sw[r]["seconds"])), median(stats(sw[n]["seconds"]))
            w(f"| {DEV_LABEL.get(r, r)} ({DEV_LABEL.get(n, n)}: {how}) | {fmt(sn)} | {fmt(sr)} | "
              f"{ratio(sr, sn)} |")
        w("")


def same_tables(L, fio, sw, meta):
    """Same-filled page elision on against off (bench/run.sh --same): the same
    jobs on a region measured with same_filled=1 (rmem-T, the default) and
    one with same_filled=0 (rmem-T-nosame), and NVMe-oF on the same link."""
    w = L.append
    pairs = on_off_section(L, fio, sw, meta, "-nosame",
                           "## Same-filled pages: kept on the compute node against sent",
                           "A write whose pages are one 64-bit word repeated is kept on the compute "
                           "node (module parameter `same_filled`, default 1) instead of being sent. "
                           "fio writes random data, where nothing is elided: its rows are the cost "
                           "of looking. × = on ÷ off, medians.")
    if not pairs:
        return
    rows = [(a, b) for a, b in pairs if sw.get(a, {}).get("seconds") and sw.get(b, {}).get("seconds")]
    if rows:
        w(f"Swap workload (rmem_pattern under a cgroup limit, see above, with "
          f"{meta.get('swap_same', '?')} % of its pages same-filled in runs of "
          f"{meta.get('swap_same_run', '1')} page(s), half of them zeros): runtime "
          "with elision ÷ without, and ÷ NVMe-oF's on the same transport. *kept* = pages the "
          "region kept as same-filled over every run.")
        w("")
        w("| device | runtime s off | runtime s on | × runtime | NVMe-oF s | × NVMe-oF (on) "
          "| × NVMe-oF (off) | kept on / off |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for a, b in rows:
            so, sn = median(stats(sw[b]["seconds"])), median(stats(sw[a]["seconds"]))
            nv = "nvme-" + a.split("-")[1]
            sv = median(stats(sw.get(nv, {}).get("seconds", [])))
            w(f"| {DEV_LABEL.get(a, a)} | {fmt(so)} | {fmt(sn)} | {ratio(sn, so)} | {fmt(sv)} | "
              f"{ratio(sn, sv)} | {ratio(so, sv)} | {meta.get('same_filled.' + a, '?')} / "
              f"{meta.get('same_filled.' + b, '?')} |")
        w("")


def zerocopy_tables(L, fio, sw, meta):
    """Zero-copy TCP sends on against off (bench/run.sh --zerocopy): the same
    jobs on a region measured with tcp_zerocopy=1 (rmem-tcp, the default) and
    one with tcp_zerocopy=0 (rmem-tcp-nozc), and NVMe-oF TCP on the same
    link."""
    w = L.append
    pairs = on_off_section(L, fio, sw, meta, "-nozc",
                           "## Zero-copy TCP sends: on against off",
                           "Write data sent with the socket taking references on the pages "
                           "(MSG_SPLICE_PAGES; sendpage before 6.5), as nvme-tcp does (module "
                           "parameter `tcp_zerocopy` set to 1 for the run), against copied into the "
                           "socket (tcp_zerocopy=0). Both regions use the default, encrypt on: the pages "
                           "sent are the encrypted bounce pages. × = on ÷ off, medians.")
    if not pairs:
        return
    rows = [(a, b) for a, b in pairs if sw.get(a, {}).get("seconds") and sw.get(b, {}).get("seconds")]
    if rows:
        w("Swap workload (rmem_pattern under a cgroup limit, see above): runtime with zero-copy "
          "sends ÷ without, and ÷ NVMe-oF TCP's.")
        w("")
        w("| device | runtime s off | runtime s on | × runtime | NVMe-oF s | × NVMe-oF (on) "
          "| × NVMe-oF (off) |")
        w("| --- | --- | --- | --- | --- | --- | --- |")
        for a, b in rows:
            so, sn = median(stats(sw[b]["seconds"])), median(stats(sw[a]["seconds"]))
            sv = median(stats(sw.get("nvme-tcp", {}).get("seconds", [])))
            w(f"| {DEV_LABEL.get(a, a)} | {fmt(so)} | {fmt(sn)} | {ratio(sn, so)} | {fmt(sv)} | "
              f"{ratio(sn, sv)} | {ratio(so, sv)} |")
        w("")


def auth_tables(L, fio, meta):
    """Authentication against none on the data path (bench/run.sh --crypt):
    the same jobs on a region without encryption on a keyed rmemd
    (rmem-T-clear) and on one run with --auth none (rmem-T-noauth)."""
    w = L.append
    pairs = [(d + "-clear", d + "-noauth") for d in ("rmem-tcp", "rmem-rdma")
             if any(d + "-noauth" in t and d + "-clear" in t for t in fio.values())]
    if not pairs:
        return
    w("## Authentication: cluster key against auth none")
    w("")
    w("The same fio jobs on a region without encryption, on an rmemd that authenticates with "
      "the cluster key and on one run with `--auth none`. Authentication happens once per "
      "connection, at HELLO; × = with the key ÷ auth none, medians.")
    w("")
    pair_table(w, fio, [(a, b, a) for a, b in pairs], float(meta.get("compute_cpus", 0) or 0),
               "| test | device | IOPS auth none | IOPS key | × IOPS | p50 µs none / key | × p50 "
               "| compute CPU µs per I/O none / key |")


def replica_tables(L, fio, rep, ip, meta):
    """One copy against two (bench/run.sh --replica)."""
    w = L.append
    pairs = [(d, d + "-r2") for d in ("rmem-tcp", "rmem-rdma")
             if any(d + "-r2" in t for t in fio.values()) or d + "-r2" in rep["failover"]]
    if not pairs and not rep["crc"]:
        return
    w("## Replicas: one copy against two")
    w("")
    ncpu = float(meta.get("compute_cpus", 0) or 0)
    if pairs:
        w("The same fio jobs on a region with one copy (on mem1) and one with two (mem1 and "
          "mem2, written in parallel, read from one). × = two copies ÷ one copy, medians.")
        w("")
        pair_table(w, fio, [(a, a, b) for a, b in pairs], ncpu,
                   "| test | device | IOPS 1 copy | IOPS 2 copies | × IOPS | p50 µs 1 / 2 | × p50 "
                   "| compute CPU µs per I/O 1 / 2 |")
    if rep["failover"]:
        w("**A node dies under load.** 4 KiB randrw at QD16 for 30 s on the 2-copy region; 8 s in, "
          "mem2's rmemd is killed and its link goes down for 20 s (nothing answers). The same job "
          "ran first with no failure.")
        w("")
        w("| device | longest I/O, node dies (ms) | longest I/O, no failure (ms) | IOPS (× no failure) "
          "| I/O errors |")
        w("| --- | --- | --- | --- | --- |")
        for d, f in sorted(rep["failover"].items()):
            k, b = f.get("kill"), f.get("base")
            if not k:
                continue
            w(f"| {DEV_LABEL.get(d, d)} | {fmt(k['max_ms'])} | {fmt(b and b['max_ms'])} | "
              f"{fmt(k['iops'])} ({ratio(k['iops'], b and b['iops'])}) | {k['errors']} |")
        w("")
    if rep["rebuild"]:
        link = median(stats(ip)) if ip else None
        w("**Rebuild.** mem2 back with an empty rmemd: every extent's second copy is copied to it "
          "from mem1 (through the compute node). Rate = bytes copied ÷ time from the node being "
          "live to no extent degraded; × link = that rate ÷ iperf3's (compute → mem1).")
        w("")
        w("| device | copied MiB | copies | seconds | MB/s | × link (iperf3) | rate limit "
          "(`rebuild_mbps`) | extents left degraded |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for d, r in sorted(rep["rebuild"].items()):
            secs = float(r.get("seconds") or 0)
            mbs = r["bytes"] / secs / 1e6 if secs > 0 else None
            w(f"| {DEV_LABEL.get(d, d)} | {fmt(r['bytes'] / 2**20)} | {r.get('copies', '?')} | "
              f"{fmt(secs)} | {fmt(mbs)} | {ratio(mbs * 8 if mbs else None, link)} | "
              f"{r.get('rebuild_mbps_param', '?')} MB/s | {r.get('degraded_left', '?')} |")
        w("")
    crc = rep["crc"]
    if crc:
        ops = crc.get("ops")
        us = 1e6 / ops if ops else None
        w(f"**Checksums.** crc32c of a 4 KiB page on the compute guest's CPU: "
          f"{fmt(us)} µs ({fmt(ops)} pages/s, driver `{crc.get('driver', '?')}`, tcrypt). "
          "rmem computes it once per page written and checks it once per page read; the memory "
          "cost is 4 bytes per 4 KiB page (0.1 %).")
        rows = []
        for t in ("randwrite-4k-qd1", "randread-4k-qd1"):
            m = fio.get(t, {}).get("rmem-tcp") or fio.get(t, {}).get("rmem-rdma")
            c = cpu_per_io(m, ncpu) if m else None
            if c and us:
                rows.append(f"{t}: {fmt(c)} µs of compute CPU per I/O, of which the checksum is "
                            f"{100 * us / c:.1f} %")
        if rows:
            w(" Against the whole I/O (one copy): " + "; ".join(rows) + ".")
        w("")


def median(st):
    return st[0] if st else None


# ------------------------------------------------------------------ shared
# bench/run.sh --shared (bench/guest-shared.sh): one index, two compute
# guests, three ways of giving it to them.
SHARED_WAYS = ["rmem", "nvme", "copy"]
SHARED_NODES = ["c1", "c2"]


def shared_label(way, tr):
    t = {"tcp": "TCP", "rdma": "RDMA"}.get(tr, tr or "?")
    return {"rmem": f"rmem {t}: published region, attached (mmap)",
            "nvme": f"NVMe-oF {t}: one RAM disk namespace, O_DIRECT",
            "copy": "copy over TCP into each guest's tmpfs"}.get(way, way)


def read_shared(raw):
    """raw/shared/ of a --shared run: {way: {"transport", "bytes", "wall_s":
    [per run], "mem_node_bytes": [..], "c1"/"c2": {"mib_s", "seconds",
    "ready_s", "compute_bytes": [..], "fail", "bad"}}, "setup": {..}}; {}
    without one."""
    d = os.path.join(raw, "shared")
    res = {}
    for path in sorted(glob.glob(os.path.join(d, "*.r*.json"))):
        m = re.match(r"(\w+)\.r(\d+)\.json$", os.path.basename(path))
        j = load_json(path)
        if not m or not j or "nodes" not in j:
            continue
        w = res.setdefault(m.group(1), {"transport": j.get("transport"), "bytes": j.get("bytes"),
                                        "wall_s": [], "mem_node_bytes": []})
        ok = all("error" not in n for n in j["nodes"].values())
        if ok and j.get("wall_s") is not None:
            w["wall_s"].append(j["wall_s"])
        if j.get("mem_node_bytes") is not None:
            w["mem_node_bytes"].append(j["mem_node_bytes"])
        for c, n in j["nodes"].items():
            x = w.setdefault(c, {"mib_s": [], "seconds": [], "ready_s": [], "compute_bytes": [],
                                 "fail": 0, "bad": 0})
            if "error" in n:
                x["fail"] += 1
                continue
            if not n.get("ok"):
                x["bad"] += 1
            for k in ("mib_s", "seconds", "ready_s", "compute_bytes"):
                x[k].append(n.get(k))
    if res:
        st = load_json(os.path.join(d, "setup-rmem.json"))
        if st:
            res["setup"] = {k: v for k, v in st.items() if isinstance(v, (int, float))}
    return res


def shared_tables(L, sh, meta, outdir, name):
    """The "one copy, many compute nodes" section: per way, then rmem against
    the alternatives of the same run, and a plot."""
    w = L.append
    ways = [x for x in SHARED_WAYS if x in sh] + sorted(x for x in sh if x not in SHARED_WAYS + ["setup"])
    if not ways:
        return
    tr = next((sh[x].get("transport") for x in ways if sh[x].get("transport")), None)
    size = next((sh[x]["bytes"] for x in ways if sh[x].get("bytes")), None)
    mib = size / 2**20 if size else None

    def node(way, c, k):
        return median(stats(sh.get(way, {}).get(c, {}).get(k, [])))

    def fig(way, k):
        """The figures of the ratio table, per way."""
        x = sh.get(way, {})
        if k == "wall_s":
            return median(stats(x.get("wall_s", [])))
        if k == "mem":
            v = median(stats(x.get("mem_node_bytes", [])))
            return v / 2**20 if v is not None else None
        if k == "compute":
            v = [node(way, c, "compute_bytes") for c in SHARED_NODES if c in x]
            return sum(v) / 2**20 if v and None not in v else None
        if k == "ram":
            a, b = fig(way, "mem"), fig(way, "compute")
            return a + b if a is not None and b is not None else None
        return node(way, *k)

    w("## One copy, many compute nodes")
    w("")
    w(f"Two compute guests load the same {'?' if mib is None else round(mib)} MiB index (random bytes, "
      "made on compute 1) at the same time, three ways: **rmem**: a published region, loaded and "
      "sealed once from compute 1, "
      f"attached on both (`rmemctl region attach NAME type mmap chunk {meta.get('shared_chunk', '?')}`, "
      "the default cache: a quarter of the region) and read through the mapping, one 8-byte read per "
      "4 KiB page in order; **NVMe-oF**: one namespace on a RAM disk of the memory guest, written "
      "once from compute 1, both guests connected and reading it with O_DIRECT, 1 MiB per `read()`; "
      "**copy**: the memory guest serves the file from its tmpfs over TCP (busybox nc) and each "
      "guest copies it into its own tmpfs. *MiB/s*: each guest's own read (or copy) time. "
      "*Compute 2 can read after*: the attach, the `nvme connect` until the namespace appears, the "
      "whole copy. *Memory node*: what the memory guest holds for the index (rmem: `rmemd --status` "
      "published slabs × slab size; NVMe-oF: the RAM disk; copy: the file it serves); *compute "
      "nodes*: what both guests hold after reading (rmem: the attached regions' caches; NVMe-oF: "
      "nothing, O_DIRECT; copy: each guest's copy). Every read is checked against the index. "
      "Medians (min–max) of the runs; the guests share the host's two cores (compute 2 runs on one "
      "host thread): compare ways, not guests.")
    w("")
    w("| way | compute 1 MiB/s | compute 2 MiB/s | both done s | compute 1 can read after s | "
      "compute 2 can read after s | memory node MiB (× index) | compute nodes MiB | failed runs |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for x in ways:
        d = sh[x]
        mem = fig(x, "mem")
        fails = sum(d.get(c, {}).get("fail", 0) for c in SHARED_NODES)
        bad = sum(d.get(c, {}).get("bad", 0) for c in SHARED_NODES)
        w(f"| {shared_label(x, tr)} | {fmt_stats(stats(d.get('c1', {}).get('mib_s', [])))} | "
          f"{fmt_stats(stats(d.get('c2', {}).get('mib_s', [])))} | {fmt_stats(stats(d.get('wall_s', [])))} | "
          f"{fmt_stats(stats(d.get('c1', {}).get('ready_s', [])))} | "
          f"{fmt_stats(stats(d.get('c2', {}).get('ready_s', [])))} | "
          f"{fmt(mem)} ({ratio(mem, mib)}) | {fmt(fig(x, 'compute'))} | {fails} |"
          + (f" **{bad} read(s) of the wrong bytes** |" if bad else ""))
    w("")
    others = [x for x in ways if x != "rmem"]
    if "rmem" in ways and others:
        rows = (("compute 1 MiB/s", ("c1", "mib_s"), "higher"),
                ("compute 2 MiB/s", ("c2", "mib_s"), "higher"),
                ("both done, s", "wall_s", "lower"),
                ("compute 2 can read after, s", ("c2", "ready_s"), "lower"),
                ("memory node MiB", "mem", "lower"),
                ("compute nodes MiB", "compute", "lower"),
                ("RAM in all (memory node + compute nodes), MiB", "ram", "lower"))
        short = {"nvme": "NVMe-oF", "copy": "copy"}
        w("rmem against the alternatives, measured in this run: rmem's figure ÷ theirs (medians). "
          "*Better*: the direction in which rmem wins (MiB/s above 1.00×, seconds and MiB below).")
        w("")
        w("| figure | better | rmem | " + " | ".join(short.get(x, x) for x in others) + " | "
          + " | ".join(f"rmem ÷ {short.get(x, x)}" for x in others) + " |")
        w("|" + " --- |" * (3 + 2 * len(others)))
        def sratio(a, b):
            """ratio() with two significant digits below 0.1: an attach
            against a whole copy is a small number."""
            if a is None or b is None or b == 0 or a / b >= 0.095:
                return ratio(a, b)
            return f"{a / b:.2g}×"

        for label, k, better in rows:
            a = fig("rmem", k)
            w(f"| {label} | {better} | {fmt(a)} | " + " | ".join(fmt(fig(x, k)) for x in others) + " | "
              + " | ".join(sratio(a, fig(x, k)) for x in others) + " |")
        w("")
    st = sh.get("setup")
    if st:
        w(f"Publishing (once, on compute 1, not in the runs): `region add ... publish` "
          f"{fmt(st.get('publish_s'))} s, `region load` {fmt(st.get('load_s'))} s, `region seal` "
          f"{fmt(st.get('seal_s'))} s.")
        w("")
    if gnuplot_shared(outdir, [(shared_label(x, tr), node(x, "c1", "mib_s"), node(x, "c2", "mib_s"),
                                node(x, "c2", "ready_s")) for x in ways]):
        w(f"![one copy, many compute nodes]({name}/shared.png)")
        w("")


def gnuplot_shared(outdir, rows):
    """shared.dat and shared.png: MiB/s per guest and the time until compute 2
    can read, per way."""
    with open(os.path.join(outdir, "shared.dat"), "w") as f:
        f.write('way "compute 1 MiB/s" "compute 2 MiB/s" "compute 2 can read after (s)"\n')
        for label, *v in rows:
            f.write(f'"{label}" ' + " ".join("-" if x is None else f"{x:.3f}" for x in v) + "\n")
    if not shutil.which("gnuplot"):
        return False
    dat = os.path.join(outdir, "shared.dat")
    script = gnuplot_preamble(size="1400,1000", rotate=-10, enhanced=False) + f"""set output '{outdir}/shared.png'
set multiplot layout 2,1 title 'one index, two compute guests (median of runs; TCG guests: compare ways only)'
unset logscale y
set yrange [0:*]
set ylabel 'MiB/s'
plot for [i=2:3] '{dat}' using i:xtic(1) title columnheader(i)
set logscale y
set yrange [*:*]
set ylabel 'seconds (log scale)'
plot '{dat}' using 4:xtic(1) title columnheader(4)
unset multiplot
"""
    return run_gnuplot(script)


# ------------------------------------------------------------------ mmap
# EXTRAS=mmap (bench/guest-mmap.sh): the expert load of mmap regions.
MMAP_TR_LABEL = {"tcp": "rmem TCP", "rdma": "rmem RDMA"}


def chunk_bytes(c):
    m = re.match(r"(\d+)([KMG]?)$", c)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)] if m else 0


def read_mmap(raw):
    """{"seq": {(tr, chunk, load): {key: [per run]}}, "rand": {tr: {key: [..]}},
    "read": {dev: {key: [..]}}, "fail": {name: runs}}"""
    res = {"seq": {}, "rand": {}, "rand0": {}, "randclear": {}, "read": {}, "fail": {}}
    for path in sorted(glob.glob(os.path.join(raw, "mmap", "*.r*.json"))):
        base = os.path.basename(path)
        j = load_json(path)
        m = (re.match(r"(\w+)-(\d+[KMG])\.seq(\d)\.r\d+\.json$", base)
             or re.match(r"(\w+)-(\d+[KMG])\.(rand0|randclear|rand)\.r\d+\.json$", base)
             or re.match(r"read-(.+)\.r\d+\.json$", base))
        if not m:
            continue
        if not j or "error" in j or "rc" in j:
            res["fail"][base.split(".r")[0]] = res["fail"].get(base.split(".r")[0], 0) + 1
            continue
        if j["op"] == "read":
            d = res["read"].setdefault(m.group(1), {})
        elif j["op"] == "rand":
            d = res[m.group(3)].setdefault(m.group(1), {})
        else:
            d = res["seq"].setdefault((m.group(1), m.group(2), int(m.group(3))), {})
        for k, v in j.items():
            if isinstance(v, (int, float)):
                d.setdefault(k, []).append(v)
    return res


def mmap_tables(L, mm, pt, meta, outdir, name):
    """The "mmap expert load" section: tables and a plot."""
    w = L.append

    def mibs(b):
        return "–" if b is None else f"{b / 2**20:.0f}"

    bw2m = median(stats(pt.get(("ib_read_bw", 2097152), {}).get("bw", [])))
    lat = median(stats(pt.get(("ib_read_lat", 4096), {}).get("typical", [])))
    lat_avg = median(stats(pt.get(("ib_read_lat", 4096), {}).get("avg", [])))

    def rd(dev):
        return median(stats(mm["read"].get(dev, {}).get("mib_s", [])))

    size = meta.get("mmap_size_mib", "?")
    # Runs before the fault path's readahead (2026-12-04) have no third load.
    has_nr = any(k[2] == 3 for k in mm["seq"])
    nr_head = "no readahead MiB/s | × readahead | " if has_nr else ""
    w("## mmap expert load")
    w("")
    w(f"RMAI's expert load: an mmap region of {size} MiB (`type mmap`, the cache as big as the region, "
      "so nothing is evicted; a 4K-chunk load is one round trip per page, so it may be measured on "
      "a smaller region: see *MiB*) filled through mmap, `msync`ed and dropped (`RMEM_IOC_DROP`), then faulted in "
      "sequentially, one 8-byte read per 4 KiB page in order (`bench/mmap-load.c`): every chunk "
      "comes from the memory node. *Reload*: the same after another drop. " +
      ("*No readahead*: once more under `MADV_RANDOM`, which turns the fault path's readahead "
       "off; × readahead = load ÷ that. " if has_nr else "") +
      "One region at a time, "
      "on a node of its own behind one transport. Beside it, `read()` of "
      f"{meta.get('mmap_read_mib', '?')} MiB from the block devices of this run, O_DIRECT, "
      "1 MiB per call, one at a time. MiB/s; × ib_read_bw = MiB/s ÷ raw `ib_read_bw` 2 MiB "
      "(the RDMA link's ceiling; for TCP rows only a yardstick); × block = MiB/s ÷ the same "
      "transport's rmem block region read; × NVMe-oF = ÷ the same transport's NVMe-oF read. "
      "*Chunk fault*: the slowest touch of each chunk (the one that fetched it), p50 over the "
      "chunks: one fetch's cost in a stream. Counters (medians, first load): the region's faults and chunk fetches (`RMEM_IOC_STATS`), "
      "the process's faults (`getrusage`), faults mapped with one PMD.")
    w("")
    w("| transport | chunk | MiB | load MiB/s median (min–max) | load s | reload MiB/s | "
      f"{nr_head}× ib_read_bw | "
      "× block | × NVMe-oF | chunk fault p50 µs | fetches | faults region / process | pmd_maps |")
    w("|" + " --- |" * (15 if has_nr else 13))
    keys = sorted({(tr, c) for tr, c, _ in mm["seq"]},
                  key=lambda k: (list(MMAP_TR_LABEL).index(k[0]) if k[0] in MMAP_TR_LABEL else 9,
                                 chunk_bytes(k[1])))
    plot = []
    for tr, c in keys:
        a = mm["seq"].get((tr, c, 1), {})
        b = mm["seq"].get((tr, c, 2), {})
        nr = mm["seq"].get((tr, c, 3), {})
        mb = median(stats(a.get("mib_s", [])))

        def med(k):
            v = median(stats(a.get(k, [])))
            return "–" if v is None else f"{v:.0f}"

        bad = sum(a.get("bad", []) + b.get("bad", []) + nr.get("bad", []))
        mib = median(stats(a.get("bytes", [])))
        w(f"| {MMAP_TR_LABEL.get(tr, tr)} | {c} | {mibs(mib)} | "
          f"{fmt_stats(stats(a.get('mib_s', [])))} | "
          f"{fmt(median(stats(a.get('seconds', []))))} | {fmt_stats(stats(b.get('mib_s', [])))} | "
          + (f"{fmt_stats(stats(nr.get('mib_s', [])))} | "
             f"{ratio(mb, median(stats(nr.get('mib_s', []))))} | " if has_nr else "") +
          f"{ratio(mb, bw2m)} | {ratio(mb, rd('rmem-' + tr))} | {ratio(mb, rd('nvme-' + tr))} | "
          f"{med('chunk_fault_p50_us')} | {med('fetches')} | {med('faults_region')} / "
          f"{med('faults_proc')} | {med('pmd_maps')} |"
          + (f" **{bad} words read back wrong** |" if bad else ""))
        plot.append((f"{MMAP_TR_LABEL.get(tr, tr)} mmap {c}", mb, median(stats(b.get("mib_s", [])))))
    for dev in ordered(mm["read"].keys(), DEV_ORDER):
        d = mm["read"][dev]
        mb = median(stats(d.get("mib_s", [])))
        mib = median(stats(d.get("bytes", [])))
        w(f"| {DEV_LABEL.get(dev, dev)} `read()` | – | {mibs(mib)} | "
          f"{fmt_stats(stats(d.get('mib_s', [])))} | "
          f"{fmt(median(stats(d.get('seconds', []))))} | – | {'– | – | ' if has_nr else ''}"
          f"{ratio(mb, bw2m)} | "
          f"{ratio(mb, rd('rmem-tcp' if 'tcp' in dev else 'rmem-rdma'))} | – | – | – | – | – |")
        plot.append((f"{DEV_LABEL.get(dev, dev)} read()", mb, None))
    for size_ in (4096, 2097152):
        v = median(stats(pt.get(("ib_read_bw", size_), {}).get("bw", [])))
        if v is not None:
            plot.append((f"raw ib_read_bw {size_ // 1024 if size_ < 2**20 else size_ >> 20}"
                         f" {'KiB' if size_ < 2**20 else 'MiB'}", v, None))
    w("")
    if mm["rand"]:
        w(f"Random cold faults: {meta.get('mmap_rand', '?')} reads of distinct random pages of the "
          "4K-chunk region right after a drop, each timed on its own (µs per fault), against raw "
          "`ib_read_lat` 4 KiB (typical and average) between the same guests.")
        w("")
        w("| transport | mean µs | p50 µs median (min–max) | p99 µs | p50 × ib_read_lat typical | "
          "mean × ib_read_lat avg | fetches | faults region / process |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for key, how in (("rand", ""), ("rand0", ", fault_hold_us=0"),
                         ("randclear", ", not encrypted")):
            for tr in ordered(mm.get(key, {}).keys(), list(MMAP_TR_LABEL)):
                d = mm.get(key, {})[tr]
                mean, p50 = median(stats(d.get("mean_us", []))), median(stats(d.get("p50_us", [])))

                def med(k):
                    v = median(stats(d.get(k, [])))
                    return "–" if v is None else f"{v:.0f}"

                w(f"| {MMAP_TR_LABEL.get(tr, tr)}{how} | {fmt(mean)} | "
                  f"{fmt_stats(stats(d.get('p50_us', [])))} | "
                  f"{fmt(median(stats(d.get('p99_us', []))))} | {ratio(p50, lat)} | "
                  f"{ratio(mean, lat_avg)} | {med('fetches')} | "
                  f"{med('faults_region')} / {med('faults_proc')} |")
        w("")
        for tr in ordered(mm.get("rand0", {}).keys(), list(MMAP_TR_LABEL)):
            held = median(stats(mm["rand"].get(tr, {}).get("p50_us", [])))
            let_go = median(stats(mm["rand0"][tr].get("p50_us", [])))
            w(f"- {MMAP_TR_LABEL.get(tr, tr)}: the fault that waits for its fetch holding the mmap "
              f"lock (`fault_hold_us`, default) against one that lets go of it and is retried "
              f"(`fault_hold_us=0`, the fault path before): p50 {ratio(held, let_go)}.")
        if mm.get("rand0"):
            w("")
    for k, v in sorted(mm["fail"].items()):
        w(f"- `{k}`: {v} failed run(s) (see raw/mmap/)")
    if mm["fail"]:
        w("")
    if plot and gnuplot_mmap(outdir, plot):
        w(f"![mmap expert load]({name}/mmap.png)")
        w("")


def mmap_targets(row, mm, pt):
    """Issue 6's goals: rows for targets()."""
    bw2m = median(stats(pt.get(("ib_read_bw", 2097152), {}).get("bw", [])))
    lat = median(stats(pt.get(("ib_read_lat", 4096), {}).get("typical", [])))
    for tr in ("rdma", "tcp"):
        info = tr == "tcp"
        mb = median(stats(mm["seq"].get((tr, "2M", 1), {}).get("mib_s", [])))
        if mb is not None or not info:
            row(f"{MMAP_TR_LABEL[tr]} mmap 2M-chunk load vs raw ib_read_bw 2 MiB (MiB/s)", mb, bw2m,
                "information (another transport)" if info else "≥ 0.80×",
                None if info else lambda r: r >= 0.8)
        p50 = median(stats(mm["rand"].get(tr, {}).get("p50_us", [])))
        if p50 is not None or not info:
            row(f"{MMAP_TR_LABEL[tr]} mmap 4 KiB random cold fault p50 vs raw ib_read_lat 4 KiB typical (µs)",
                p50, lat, "information (another transport)" if info else "≤ 1.50×",
                None if info else lambda r: r <= 1.5)



def gnuplot_preamble(size="1400,700", rotate=-20, enhanced=True):
    """The settings every plot shares: clustered log-scale histograms, PNG."""
    return f"""set terminal pngcairo size {size} font ',10'{'' if enhanced else ' noenhanced'}
set datafile missing '-'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set grid ytics
set key outside right top
set xtics rotate by {rotate}
"""


def run_gnuplot(script):
    """Run one gnuplot script; False (and its complaint on stderr) on failure."""
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode:
        sys.stderr.write("report.py: gnuplot: " + r.stderr)
    return r.returncode == 0


def gnuplot_mmap(outdir, plot):
    """mmap.dat and mmap.png: MiB/s of every load and read, with the raw link."""
    with open(os.path.join(outdir, "mmap.dat"), "w") as f:
        f.write('what "load (or read)" "reload"\n')
        for label, a, b in plot:
            f.write(f'"{label}" ' + " ".join("-" if v is None else f"{v:.3f}" for v in (a, b)) + "\n")
    if not shutil.which("gnuplot"):
        return False
    script = gnuplot_preamble(rotate=-30, enhanced=False) + f"""set output '{outdir}/mmap.png'
set title 'mmap expert load: MiB/s (median of runs; log scale; TCG guests: compare ratios only)'
set ylabel 'MiB/s'
plot for [i=2:3] '{outdir}/mmap.dat' using i:xtic(1) title columnheader(i)
"""
    return run_gnuplot(script)


def target_row(rows, one_run):
    """row(what, a, b, goal, ok) appending a targets-table line to ROWS:
    a ÷ b, and the verdict of ok(a ÷ b) (none when ok is None); a miss by
    less than 10 % is called noise when ONE_RUN (no median to speak of)."""
    def row(what, a, b, goal, ok):
        if a is None or b is None or not b:
            rows.append(f"| {what} | – | {goal} | no figure |")
            return
        verdict = "" if ok is None else "**met**" if ok(a / b) else "**not met**"
        if ok is not None and not ok(a / b) and (ok(a / b * 1.1) or ok(a / b / 1.1)):
            verdict = "not met, within 10 %" + (" (noise in a single run)" if one_run else "")
        rows.append(f"| {what} | {a / b:.2f}× ({fmt(a)} vs {fmt(b)}) | {goal} | {verdict} |")
    return row


def best_of(res, key, devs, pick):
    """(device, median) of the best of DEVS in RES ({dev: {key: [values]}})
    by PICK (min or max), or (None, None)."""
    figs = [(d, median(stats(res[d][key]))) for d in devs if res.get(d, {}).get(key)]
    figs = [(d, v) for d, v in figs if v is not None]
    return pick(figs, key=lambda x: x[1]) if figs else (None, None)


# rmem as a user gets it (encrypted, one copy, same-filled pages kept,
# TCP copies), and NVMe-oF: the devices of issue 16's swap and redis goals.
RMEM_DEFAULT = ["rmem-tcp", "rmem-rdma"]
NVME_DEVS = ["nvme-tcp", "nvme-rdma"]


def targets16(L, fio, pt, mm, sw, rd, ncpu, one_run):
    """Issue 16's goals (ahead of NVMe-oF on TCP too), every one a row."""
    rows = []
    row = target_row(rows, one_run)

    def get(test, dev, key):
        return median(stats(fio.get(test, {}).get(dev, {}).get(key, [])))

    for t in ("randread-4k-qd16", "randwrite-4k-qd16"):
        row(f"rmem TCP vs NVMe-oF TCP: {t} IOPS", get(t, "rmem-tcp", "iops"),
            get(t, "nvme-tcp", "iops"), "≥ 1.25×", lambda r: r >= 1.25)
    for t in ("randread-4k-qd1", "randwrite-4k-qd1"):
        row(f"rmem TCP vs NVMe-oF TCP: {t} p50 µs", get(t, "rmem-tcp", "p50"),
            get(t, "nvme-tcp", "p50"), "≤ 0.80×", lambda r: r <= 0.8)
    rdev, rsec = best_of(sw or {}, "seconds", RMEM_DEFAULT, min)
    ndev, nsec = best_of(sw or {}, "seconds", NVME_DEVS, min)
    row(f"swap workload runtime s: rmem's best ({DEV_LABEL.get(rdev, '–')}) vs NVMe-oF's best "
        f"({DEV_LABEL.get(ndev, '–')})", rsec, nsec, "≤ 0.80×", lambda r: r <= 0.8)
    rdev, rget = best_of(rd or {}, "rps", RMEM_DEFAULT, max)
    ndev, nget = best_of(rd or {}, "rps", NVME_DEVS, max)
    row(f"redis under swap GET/s: rmem's best ({DEV_LABEL.get(rdev, '–')}) vs NVMe-oF's best "
        f"({DEV_LABEL.get(ndev, '–')})", rget, nget, "≥ 1.20×", lambda r: r >= 1.2)
    lat = median(stats(pt.get(("ib_read_lat", 4096), {}).get("typical", [])))
    bw2m = median(stats(pt.get(("ib_read_bw", 2097152), {}).get("bw", [])))
    row("rmem RDMA mmap 4 KiB random cold fault p50 vs raw ib_read_lat 4 KiB typical (µs)",
        median(stats(mm["rand"].get("rdma", {}).get("p50_us", []))) if mm else None, lat,
        "≤ 1.50×", lambda r: r <= 1.5)
    clear = median(stats(mm.get("randclear", {}).get("rdma", {}).get("p50_us", []))) if mm else None
    if clear is not None:
        row("rmem RDMA mmap 4 KiB random cold fault p50, region not encrypted, vs raw ib_read_lat "
            "4 KiB typical (µs)", clear, lat,
            "information (like for like: ib_read_lat moves plaintext; goal 1.50× as above)", None)
    row("rmem RDMA mmap 2M-chunk load vs raw ib_read_bw 2 MiB (MiB/s)",
        median(stats(mm["seq"].get(("rdma", "2M", 1), {}).get("mib_s", []))) if mm else None,
        bw2m, "≥ 0.90×", lambda r: r >= 0.9)
    q1, q16 = "randread-4k-qd1", "randread-4k-qd16"
    row("RDMA lead kept: rmem RDMA vs NVMe-oF RDMA 4K randread QD1 p50 µs",
        get(q1, "rmem-rdma", "p50"), get(q1, "nvme-rdma", "p50"), "≤ 1.00×", lambda r: r <= 1.0)
    row("RDMA lead kept: rmem RDMA vs NVMe-oF RDMA 4K randread QD16 IOPS",
        get(q16, "rmem-rdma", "iops"), get(q16, "nvme-rdma", "iops"), "≥ 1.25×",
        lambda r: r >= 1.25)
    # Like for like (bench/run.sh --crypt), where this run has the devices.
    for r, n, how in [p for p in LIKE_PAIRS if p[0].startswith("rmem-tcp")]:
        for t in ("randread-4k-qd16", "randwrite-4k-qd16"):
            if get(t, r, "iops") is not None and get(t, n, "iops") is not None:
                row(f"like for like, {how}: {DEV_LABEL[r]} vs {DEV_LABEL[n]}: {t} IOPS",
                    get(t, r, "iops"), get(t, n, "iops"), "information (goal 1.25× as above)", None)
    for r, n, how in [p for p in LIKE_PAIRS if p[0].startswith("rmem-tcp")]:
        rs = median(stats((sw or {}).get(r, {}).get("seconds", [])))
        ns = median(stats((sw or {}).get(n, {}).get("seconds", [])))
        if rs is not None and ns is not None:
            row(f"like for like, {how}: swap workload runtime s, {DEV_LABEL[r]} vs {DEV_LABEL[n]}",
                rs, ns, "information (goal 0.80× as above)", None)
    for t in ("randread-4k-qd1", "randread-4k-qd16", "randwrite-4k-qd1", "randwrite-4k-qd16"):
        a, b = fio.get(t, {}).get("rmem-tcp"), fio.get(t, {}).get("nvme-tcp")
        row(f"compute-guest CPU µs per I/O: rmem TCP vs NVMe-oF TCP, {t}",
            cpu_per_io(a, ncpu) if a else None, cpu_per_io(b, ncpu) if b else None,
            "≤ 1.00×", lambda r: r <= 1.0)
    w = L.append
    w("## Targets of issue 16: ahead of NVMe-oF on TCP too")
    w("")
    w("Ratios of medians in this run. Swap and redis compare rmem as installed (encrypted, one "
      "copy) over its faster transport with NVMe-oF over its faster one. CPU per I/O is the "
      "compute guest's busy share × its vCPUs ÷ IOPS.")
    w("")
    w("| comparison | ratio | goal | |")
    w("| --- | --- | --- | --- |")
    L.extend(rows)
    w("")


def targets(L, fio, pt, mm=None, one_run=False):
    """Issue 5's goals and the rmem-vs-alternatives ratios that matter most."""
    w = L.append

    def get(test, dev, key):
        return median(stats(fio.get(test, {}).get(dev, {}).get(key, [])))

    rows = []
    row = target_row(rows, one_run)

    q1, q16 = "randread-4k-qd1", "randread-4k-qd16"
    row("rmem RDMA vs NVMe-oF RDMA: 4K randread QD1 p50 µs", get(q1, "rmem-rdma", "p50"),
        get(q1, "nvme-rdma", "p50"), "≤ 1.00×", lambda r: r <= 1.0)
    row("rmem RDMA vs NVMe-oF RDMA: 4K randread QD16 IOPS", get(q16, "rmem-rdma", "iops"),
        get(q16, "nvme-rdma", "iops"), "≥ 1.25×", lambda r: r >= 1.25)
    for t in (q1, q16, "randwrite-4k-qd1", "randwrite-4k-qd16"):
        for other, label in (("nvme-tcp", "NVMe-oF TCP"), ("nbd", "NBD")):
            row(f"rmem TCP vs {label}: {t} IOPS", get(t, "rmem-tcp", "iops"),
                get(t, other, "iops"), "≥ 1.00×", lambda r: r >= 1.0)
    for t in (q1, q16):
        row(f"rmem RDMA vs rmem TCP: {t} IOPS", get(t, "rmem-rdma", "iops"),
            get(t, "rmem-tcp", "iops"), "information (rxe is slower than TCP under TCG, as measured here)",
            None)
    lat = median(stats(pt.get(("ib_read_lat", 4096), {}).get("typical", [])))
    bw = median(stats(pt.get(("ib_read_bw", 4096), {}).get("bw", [])))
    row("rmem RDMA 4K randread QD1 p50 vs raw ib_read_lat 4 KiB typical (µs)",
        get(q1, "rmem-rdma", "p50"), lat, "close to 1× (the transport floor)", lambda r: r <= 2.0)
    mb = get(q16, "rmem-rdma", "mbps")
    row("rmem RDMA 4K randread QD16 MB/s vs raw ib_read_bw 4 KiB (MB/s)",
        mb and mb / 1.048576, bw, "close to 1× (the transport ceiling)", lambda r: r >= 0.5)
    if not fio:
        del rows[:]     # an mmap-only run (BENCH_TESTS=)
    if mm and (mm["seq"] or mm["rand"]):
        mmap_targets(row, mm, pt)
    w("## Targets (issues 5 and 6) and headline ratios")
    w("")
    w("Ratios of medians in this run. \"met\" for the transport floor/ceiling rows means within 2× of them.")
    w("")
    w("| comparison | ratio | goal | |")
    w("| --- | --- | --- | --- |")
    L.extend(rows)
    w("")


def gnuplot(outdir, fio, tests, devs):
    """iops.dat/latency.dat and their PNGs (skipped without gnuplot)."""
    def med(test, dev, key):
        st = stats(fio.get(test, {}).get(dev, {}).get(key, []))
        return "-" if st is None else f"{st[0]:.3f}"

    with open(os.path.join(outdir, "iops.dat"), "w") as f:
        f.write("test " + " ".join(f'"{DEV_LABEL.get(d, d)}"' for d in devs) + "\n")
        for t in tests:
            f.write(t + " " + " ".join(med(t, d, "iops") for d in devs) + "\n")
    with open(os.path.join(outdir, "latency.dat"), "w") as f:
        cols = []
        for d in devs:
            cols += [f'"{DEV_LABEL.get(d, d)} p50"', f'"{DEV_LABEL.get(d, d)} p99"']
        f.write("test " + " ".join(cols) + "\n")
        for t in tests:
            row = []
            for d in devs:
                row += [med(t, d, "p50"), med(t, d, "p99")]
            f.write(t + " " + " ".join(row) + "\n")
    if not shutil.which("gnuplot"):
        return False
    n = len(devs)
    iops = gnuplot_preamble() + f"""set output '{outdir}/iops.png'
set title 'fio IOPS per device (median of runs; log scale; TCG guests: compare ratios only)'
set ylabel 'IOPS'
plot for [i=2:{n + 1}] '{outdir}/iops.dat' using i:xtic(1) title columnheader(i)
"""
    lat = gnuplot_preamble(size="1400,1000") + f"""set output '{outdir}/latency.png'
set multiplot layout 2,1 title 'fio completion latency (clat), microseconds, log scale; TCG guests: compare ratios only'
set ylabel 'p50 µs'
plot for [i=1:{n}] '{outdir}/latency.dat' using (column(2 * i)):xtic(1) title columnheader(2 * i)
set ylabel 'p99 µs'
plot for [i=1:{n}] '{outdir}/latency.dat' using (column(2 * i + 1)):xtic(1) title columnheader(2 * i + 1)
unset multiplot
"""
    ok = run_gnuplot(iops)
    return run_gnuplot(lat) and ok


PKT_RE = re.compile(r"^(\d+\.\d+) .*?IP6? (\S+)\.(\d+) > (\S+)\.(\d+): .*length (\d+)")
SEQ_RE = re.compile(r" seq (\d+)")


def pcap_exchanges(path, port):
    """{(client port, request seq): [first, last request packet, first, last reply
    packet]} (seconds) from `tcpdump -n -S -tt` text; QD1 traffic: a request is
    every data packet from the client up to the server's first data packet."""
    out = {}
    flows = {}
    try:
        f = open(path)
    except OSError:
        return out
    with f:
        for line in f:
            m = PKT_RE.match(line)
            if not m or int(m.group(6)) == 0:
                continue
            t = float(m.group(1))
            to_server = int(m.group(5)) == port
            client = m.group(3) if to_server else m.group(5)
            fl = flows.setdefault(client, {"cur": None, "in_reply": True})
            if to_server:
                if fl["in_reply"]:
                    seq = SEQ_RE.search(line)
                    if not seq:
                        continue
                    fl["cur"] = out.setdefault((client, int(seq.group(1))), [t, t, None, None])
                    fl["in_reply"] = False
                else:
                    fl["cur"][1] = t
            elif fl["cur"] is not None:
                if not fl["in_reply"]:
                    fl["cur"][2] = t
                    fl["in_reply"] = True
                fl["cur"][3] = t
    return {k: v for k, v in out.items() if v[2] is not None}


def read_pcap(raw):
    """{test: {dev: {metric: microseconds}}} from raw/pcap (EXTRAS=pcap)."""
    res = {}
    for port_file in sorted(glob.glob(os.path.join(raw, "pcap", "*.port"))):
        base = port_file[:-5]
        test, _, dev = os.path.basename(base).partition("-qd1-")
        if not dev:
            continue
        test += "-qd1"
        try:
            port = int(open(port_file).read().strip())
        except (OSError, ValueError):
            continue
        c = pcap_exchanges(base + ".compute.txt", port)
        mem = pcap_exchanges(base + ".mem1.txt", port)
        both = [(c[k], mem[k]) for k in c if k in mem]
        m = {"exchanges": len(both)}
        if both:
            us = 1e6

            def med(vals):
                vals = sorted(vals)
                return vals[len(vals) // 2]

            m["wire"] = med((x[3] - x[0]) * us for x, _ in both)
            m["spread"] = med((y[1] - y[0]) * us for _, y in both)
            m["service"] = med((y[2] - y[1]) * us for _, y in both)
            m["reply"] = med((y[3] - y[2]) * us for _, y in both)
            m["link"] = med(((x[3] - x[0]) - (y[3] - y[0])) * us for x, y in both)
        s = fio_job_side(load_json(base + ".fio.json"))
        pct = s.get("clat_ns", {}).get("percentile", {}) if s else {}
        if pct.get("50.000000"):
            m["clat"] = pct["50.000000"] / 1e3
        res.setdefault(test, {})[dev] = m
    return res


def pcap_table(L, pc):
    """Where a QD1 request's time goes, from packet timestamps on both guests."""
    w = L.append
    w("## Where a QD1 request's time goes (packet timing)")
    w("")
    w("One more fio run per device with tcpdump (headers only) on both guests; requests and "
      "replies matched by connection and TCP sequence number on the two captures. Medians, µs. "
      "*compute guest* = fio completion latency − *wire* (block layer, transport, wakeups and fio "
      "on the compute guest); *wire* = first request byte out → last reply byte in, seen on the "
      "compute guest; on the memory guest: *request spread* = first → last packet of the request "
      "arriving, *node service* = last request packet in → first reply packet out (the daemon or "
      "kernel target, its wakeups included), *reply spread* = first → last reply packet out; "
      "*link* = wire − (first request packet in → last reply packet out on the memory guest), "
      "the virtual link both ways. tcpdump's own cost is in every figure alike.")
    w("")
    w("| test | device | exchanges | fio clat p50 | compute guest | wire | link | request spread "
      "| node service | reply spread |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for t in ordered(pc.keys(), TEST_ORDER):
        for d in ordered(pc[t].keys(), DEV_ORDER):
            m = pc[t][d]
            own = m["clat"] - m["wire"] if "clat" in m and "wire" in m else None
            w(f"| {t} | {DEV_LABEL.get(d, d)} | {m['exchanges']} | {fmt(m.get('clat'))} | "
              f"{fmt(own)} | {fmt(m.get('wire'))} | {fmt(m.get('link'))} | "
              f"{fmt(m.get('spread'))} | {fmt(m.get('service'))} | {fmt(m.get('reply'))} |")
    w("")


SUMMARY_VERSION = 1


def _enc(v):
    """JSON-able form of the readers' results: tuple keys become lists."""
    if isinstance(v, dict):
        if any(isinstance(k, tuple) for k in v):
            return {"__tuple_keys__": [[list(k), _enc(x)] for k, x in v.items()]}
        return {k: _enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_enc(x) for x in v]
    return v


def _dec(v):
    if isinstance(v, dict):
        if "__tuple_keys__" in v:
            return {tuple(k): _dec(x) for k, x in v["__tuple_keys__"]}
        return {k: _dec(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_dec(x) for x in v]
    return v


def collect(outdir, raw, host):
    """Every reader's result for this run: from RAW (then saved as
    OUTDIR/summary.json, with HOST), or, without it, from that file."""
    path = os.path.join(outdir, "summary.json")
    if raw is None and os.path.isdir(os.path.join(outdir, "raw")):
        raw = os.path.join(outdir, "raw")
    if raw is None:
        try:
            with open(path) as f:
                j = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit(f"report.py: no raw output and no readable {path}: {e}")
        if j.get("version") != SUMMARY_VERSION:
            sys.exit(f"report.py: {path} is of version {j.get('version')}, not {SUMMARY_VERSION}")
        d = _dec(j["data"])
        d["failed"] = [tuple(x) for x in d["failed"]]
        d["load"] = [tuple(x) for x in d["load"]]
        d["host"].update(host)
        return d
    d = {"meta": read_meta(raw), "failed": read_failed(raw), "fio": read_fio(raw),
         "load": read_load(raw), "perftest": read_perftest(raw), "mmap": read_mmap(raw),
         "iperf": read_iperf(raw), "swap": read_swap(raw), "redis": read_redis(raw),
         "pcap": read_pcap(raw), "replica": read_replica(raw), "shared": read_shared(raw),
         "host": host}
    os.makedirs(outdir, exist_ok=True)
    with open(path, "w") as f:
        json.dump({"version": SUMMARY_VERSION, "data": _enc(d)}, f, separators=(",", ":"),
                  sort_keys=True)
        f.write("\n")
    return d


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    outdir = os.path.abspath(args.pop(0).rstrip("/"))
    raw = None
    if args[:1] == ["--raw"]:
        if len(args) < 2:
            sys.exit("report.py: --raw needs a directory")
        raw = os.path.abspath(args[1])
        args = args[2:]
    host = dict(a.partition("=")[::2] for a in args if a != "--host")
    data = collect(outdir, raw, host)
    host = data["host"]
    meta = data["meta"]
    failed = data["failed"]
    fio = data["fio"]
    tests = ordered(fio.keys(), TEST_ORDER)
    devs = ordered({d for t in fio.values() for d in t}
                   | set(meta.get("devices", "").split()), DEV_ORDER)
    name = os.path.basename(outdir)
    L = []
    w = L.append
    w(f"# rmem benchmark {name}")
    w("")
    w("Guests run under QEMU TCG (software emulation): absolute figures mean nothing,")
    w("only ratios between devices measured in this same run do. See bench/README.md.")
    w("")
    w("| | |")
    w("| --- | --- |")
    for k, label in (("date", "date"), ("commit", "commit"), ("dirty", "uncommitted changes"),
                     ("machine", "host"), ("cpus", "host CPUs"), ("qemu", "QEMU")):
        if host.get(k):
            w(f"| {label} | {host[k]} |")
    w(f"| guest kernel | {meta.get('kernel', '?')} |")
    nmem = int(meta.get("memory_guests", "1") or 1)
    ncomp = int(meta.get("compute_guests", "1") or 1)
    w("| guests | " + (f"{ncomp} compute guests of " if ncomp > 1 else "compute ") +
      f"{meta.get('compute_mem_mib', '?')} MiB / {meta.get('compute_cpus', '?')}"
      f" vCPU, " + (f"memory {meta.get('memory_mem_mib', '?')} MiB, one unix-stream virtio-net link |"
                    if nmem == 1 else
                    f"{nmem} memory guests of {meta.get('memory_mem_mib', '?')} MiB, one unix-stream "
                    "virtio-net link to each |"))
    if meta.get("mode") == "shared":
        w(f"| mode | shared: {meta.get('runs', '?')} run(s) of each way, a "
          f"{meta.get('shared_size_mib', '?')} MiB index |")
    else:
        w(f"| mode | {meta.get('mode', '?')}: {meta.get('runs', '?')} run(s) of each figure, "
          f"fio {meta.get('runtime_s', '?')} s + {meta.get('ramp_s', '?')} s ramp (not counted), "
          f"{meta.get('size_mib', '?')} MiB per device, prefilled |")
        w(f"| fio | {meta.get('fio', '?')}, `--direct=1 --ioengine=libaio --numjobs=1` |")
    w("")
    load = data["load"]
    if load:
        # Our own guests: every memory guest and compute guest of the run.
        ours = int(meta.get("memory_guests", 1) or 1) + int(meta.get("compute_guests", 1) or 1)
        busy = [q for _, q in load if q > ours]
        w(f"Host while the guests ran: load average {min(l for l, _ in load):.1f}–"
          f"{max(l for l, _ in load):.1f}; " + (
              f"**other QEMU guests were running in {100 * len(busy) // len(load)} % of the "
              f"samples (up to {max(busy) - ours} besides ours): every figure is distorted, and "
              "unevenly; rerun on an idle host.**" if busy else "no other QEMU guests."))
        w("")
    if failed:
        w("## Failed or skipped")
        w("")
        for k, v in failed:
            w(f"- **{k}**: {v}")
        w("")

    pt = data["perftest"]
    mm = data["mmap"]
    one_run = str(meta.get("runs")) == "1"
    if tests or mm["seq"] or mm["rand"]:
        targets(L, fio, pt, mm, one_run)
    # A crypt run with NVMe-oF in it (like for like) has the TCP goals' figures too.
    like = any(n in t for t in fio.values() for n in ("nvme-tcp-crypt", "nvme-rdma-crypt"))
    if tests and (meta.get("mode") in ("full", "quick") or like):
        targets16(L, fio, pt, mm, data["swap"], data["redis"],
                  float(meta.get("compute_cpus", 0) or 0), one_run)

    # ---------------------------------------------------------- summary
    if tests:
        w("## fio summary: IOPS (p50 / p99 µs)")
        w("")
        w("Median of runs. p50/p99 are completion latencies (fio clat).")
        w("")
        w("| device | " + " | ".join(tests) + " |")
        w("| --- | " + " | ".join("---" for _ in tests) + " |")
        for d in devs:
            cells = []
            for t in tests:
                m = fio.get(t, {}).get(d)
                if not m:
                    cells.append("failed" if any(k == d for k, _ in failed) else "–")
                    continue
                i, p50, p99 = (stats(m[k]) for k in ("iops", "p50", "p99"))
                cells.append(f"{fmt(i[0])} ({fmt(p50 and p50[0])} / {fmt(p99 and p99[0])})")
            w(f"| {DEV_LABEL.get(d, d)} | " + " | ".join(cells) + " |")
        w("")

    # ---------------------------------------------------------- per test
    for t in tests:
        rm = {d: stats(fio[t][d]["iops"]) for d in fio[t]}
        rbest = max((d for d in rm if d.startswith("rmem-") and rm[d]),
                    key=lambda d: rm[d][0], default=None)
        base_r = rm[rbest][0] if rbest else None
        base_b = rm["brd"][0] if rm.get("brd") else None
        w(f"## {t}")
        w("")
        w(f"IOPS ratios: to {DEV_LABEL.get(rbest, 'rmem (no result)')} (rmem's best transport here) "
          "and to local brd (the upper bound). CPU: busy share of each guest during the run.")
        w("")
        w("| device | IOPS median (min–max) | MB/s | p50 µs | p99 µs | × rmem | × brd | CPU compute / memory |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for d in devs:
            m = fio[t].get(d)
            if not m:
                continue
            i = stats(m["iops"])
            cc, cm = stats(m["cpu_c"]), stats(m["cpu_m"])
            cpu = f"{fmt(cc and cc[0])}% / {fmt(cm and cm[0])}%"
            w(f"| {DEV_LABEL.get(d, d)} | {fmt_stats(i)} | {fmt_stats(stats(m['mbps']))} | "
              f"{fmt_stats(stats(m['p50']))} | {fmt_stats(stats(m['p99']))} | "
              f"{ratio(i[0], base_r)} | {ratio(i[0], base_b)} | {cpu} |")
        w("")

    # ---------------------------------------------------------- transport limits
    ip = data["iperf"]
    if pt or ip:
        w("## Transport limits between the same guests")
        w("")
        w("| figure | median (min–max) |")
        w("| --- | --- |")
        for (tool, size), d in sorted(pt.items()):
            sz = f"{size // 1024} KiB" if size < 2**20 else f"{size // 2**20} MiB"
            if tool == "ib_read_lat":
                w(f"| ib_read_lat {sz}, typical µs (rxe) | {fmt_stats(stats(d.get('typical', [])))} |")
                w(f"| ib_read_lat {sz}, p99 µs | {fmt_stats(stats(d.get('p99', [])))} |")
            else:
                w(f"| ib_read_bw {sz}, MB/s (rxe) | {fmt_stats(stats(d.get('bw', [])))} |")
            if not d:
                w(f"| {tool} {sz} | failed (see raw/perftest) |")
        if ip:
            w(f"| iperf3 TCP, Mbit/s | {fmt_stats(stats(ip))} |")
        w("")

    if mm["seq"] or mm["rand"] or mm["read"]:
        mmap_tables(L, mm, pt, meta, outdir, name)

    # ---------------------------------------------------------- swap
    sw = data["swap"]
    if sw:
        base = stats(sw.get("unlimited", {}).get("seconds", []))
        rb = min((median(stats(sw[d]["seconds"])) for d in sw
                  if d.startswith("rmem-") and not d.endswith(("-nosame", "-nozc"))
                  and sw[d]["seconds"]),
                 default=None)
        same = meta.get("swap_same", "0")
        w("## Swap under memory pressure: rmem_pattern")
        w("")
        w(f"`rmem_pattern {meta.get('swap_ws', '?')}` (writes an address-derived pattern, then verifies "
          f"every word) in a cgroup with `memory.max={meta.get('swap_limit', '?')}`, swap on one device "
          "at a time; *no limit* runs it without the cgroup (all in local RAM). Runtime in seconds; "
          "× no limit = runtime / no-limit runtime (1.00× is ideal); × rmem = runtime / rmem's best "
          "transport's (above 1.00× the device is slower than rmem)." +
          (f" {same} % of the pages are same-filled (one word; half of them zeros), in runs of "
           f"{meta.get('swap_same_run', '1')} page(s)." if same not in ("", "0") else ""))
        w("")
        w("| swap on | runtime s median (min–max) | × no limit | × rmem | swapped out MiB | failed runs |")
        w("| --- | --- | --- | --- | --- | --- |")
        for d in ordered(sw.keys(), SWAP_ORDER):
            s_ = stats(sw[d]["seconds"])
            o = stats(sw[d]["out"])
            w(f"| {SWAP_LABEL.get(d, d)} | {fmt_stats(s_)} | {ratio(median(s_), median(base))} | "
              f"{ratio(median(s_), rb)} | {fmt(median(o))} | {sw[d]['fail']} |")
        w("")

    rd = data["redis"]
    if rd:
        base = stats(rd.get("unlimited", {}).get("rps", []))
        basef = stats(rd.get("unlimited", {}).get("fill", []))
        rb = max((median(stats(rd[d]["rps"])) for d in rd
                  if d.startswith("rmem-") and rd[d]["rps"]), default=None)
        w("## Swap under memory pressure: redis")
        w("")
        w(f"{meta.get('redis_version', 'redis-server')}, in a cgroup with "
          f"`memory.max={meta.get('redis_limit', '?')}`, holding {meta.get('redis_ws', '?')} of "
          "4000-byte values (filled by a Lua script in the server: *fill s*), then "
          f"`redis-benchmark -c 8 -n {meta.get('redis_gets', '?')} -r KEYS GET key:__rand_int__` "
          "(uniformly random keys; client outside the cgroup). × no limit = GET/s ÷ no-limit GET/s "
          "(1.00× is ideal); × rmem = GET/s ÷ rmem's best transport's.")
        w("")
        w("| swap on | GET/s median (min–max) | × no limit | × rmem | GET p99 ms | fill s (× no limit) "
          "| swapped out MiB | failed runs |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for d in ordered(rd.keys(), SWAP_ORDER):
            r_ = stats(rd[d]["rps"])
            f_ = stats(rd[d]["fill"])
            w(f"| {SWAP_LABEL.get(d, d)} | {fmt_stats(r_)} | {ratio(median(r_), median(base))} | "
              f"{ratio(median(r_), rb)} | {fmt(median(stats(rd[d]['p99'])))} | "
              f"{fmt(median(f_))} ({ratio(median(f_), median(basef))}) | "
              f"{fmt(median(stats(rd[d]['out'])))} | {rd[d]['fail']} |")
        w("")

    pc = data["pcap"]
    if pc:
        pcap_table(L, pc)

    replica_tables(L, fio, data["replica"], ip, meta)
    shared_tables(L, data.get("shared") or {}, meta, outdir, name)
    crypt_tables(L, fio, sw, meta)
    like_tables(L, fio, sw, meta)
    same_tables(L, fio, sw, meta)
    zerocopy_tables(L, fio, sw, meta)
    auth_tables(L, fio, meta)

    plots = gnuplot(outdir, fio, tests, devs) if tests else False
    if plots:
        w("## Plots")
        w("")
        w(f"![IOPS]({name}/iops.png)")
        w("")
        w(f"![latency]({name}/latency.png)")
        w("")
    w(f"Data: `{name}/summary.json`, every figure of this report, from which `bench/report.py "
      f"bench/results/{name}` makes it again. The raw output (fio JSON per test/device/run, guest "
      "CPU samples, perftest text, iperf3, swap, redis and mmap JSON, rmemctl state, the guest "
      f"logs) stays on the machine that ran it, in `build/bench/{name}/raw/`.")
    with open(outdir + ".md", "w") as f:
        f.write("\n".join(L) + "\n")
    print(outdir + ".md")


if __name__ == "__main__":
    main()
