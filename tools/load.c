// SPDX-License-Identifier: GPL-2.0
/*
 * rmemctl region load: stream a file into a region, with progress.
 *
 *   rmemctl region load NAME FILE [offset SIZE]
 *
 * The region's device does the work, so this needs nothing from the module
 * beyond the region's device name, type and size (RMEM_CMD_REGION_GET):
 *  - a block region (/dev/rmemblkN) is written with O_DIRECT in 1 MiB
 *    pieces; the file's last partial 4 KiB page is merged with what the
 *    region holds there (read, overlaid, written), so bytes past the end
 *    of the file never change;
 *  - an mmap region (/dev/rmemN) is mapped, read(2) fills the mapping, and
 *    fsync(2) writes every chunk back before the command returns.
 * OFFSET is a multiple of 4 KiB; the file must fit between it and the
 * region's end, checked before a byte is written. Progress goes to stderr
 * about once a second when it is a terminal; the result (bytes, seconds,
 * MB/s) to stdout, as a record (-j: JSON).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <netlink/attr.h>
#include <netlink/msg.h>

#include "rmemctl.h"

#define LOAD_PIECE	(1u << 20)
#define LOAD_PAGE	4096u

struct load_region {
	char device[64];
	uint64_t size;
	uint64_t type;
	bool found;
};

static int load_region_reply(struct nlattr **tb, void *arg)
{
	struct load_region *lr = arg;
	const char *dev = rm_attr_str(tb, RMEM_A_REGION_DEVICE);

	if (!dev || !rm_attr_u64(tb, RMEM_A_REGION_SIZE, &lr->size) ||
	    !rm_attr_u8(tb, RMEM_A_REGION_TYPE, &lr->type))
		return -EBADMSG;
	snprintf(lr->device, sizeof(lr->device), "%s", dev);
	lr->found = true;
	return 0;
}

int rm_load_parse(struct rm_req *req, int argc, char **argv, char *err, size_t errlen)
{
	const char *why = "";

	if (argc < 1)
		return rm_arg_err(err, errlen, "missing NAME");
	if (!rm_region_name_valid(argv[0]))
		return rm_arg_err(err, errlen, "invalid region name '%s' "
				  "(1 to %d characters from A-Z a-z 0-9 _ . -)",
				  argv[0], RMEM_REGION_NAME_MAX - 1);
	snprintf(req->name, sizeof(req->name), "%s", argv[0]);
	req->has_name = true;
	if (argc < 2 || !argv[1][0])
		return rm_arg_err(err, errlen, "missing FILE");
	req->file = argv[1];
	if (argc == 2)
		return 0;
	if (strcmp(argv[2], "offset"))
		return rm_arg_err(err, errlen, "unexpected argument '%s'", argv[2]);
	if (argc < 4)
		return rm_arg_err(err, errlen, "'offset' needs a value");
	if (rm_parse_size(argv[3], &req->offset, &why))
		return rm_arg_err(err, errlen, "invalid offset '%s': %s", argv[3], why);
	if (req->offset % LOAD_PAGE)
		return rm_arg_err(err, errlen, "offset '%s' is not a multiple of 4K", argv[3]);
	if (argc > 4)
		return rm_arg_err(err, errlen, "unexpected argument '%s'", argv[4]);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fill @buf from @fd up to @len bytes: fewer only at the end of the file. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

struct load_progress {
	bool tty;
	double t0;
	double last;
	uint64_t total;
	const char *name;
};

static void progress(struct load_progress *p, uint64_t done, bool end)
{
	char a[32], b[32];
	double t = now_s();

	if (!p->tty || (!end && t - p->last < 1.0))
		return;
	p->last = t;
	rm_fmt_size(done, a, sizeof(a));
	rm_fmt_size(p->total, b, sizeof(b));
	fprintf(stderr, "\rrmemctl: loading %s: %s of %s (%.0f %%), %.1f MB/s   %s", p->name, a, b,
		p->total ? 100.0 * done / p->total : 100.0,
		t > p->t0 ? done / 1e6 / (t - p->t0) : 0.0, end ? "\n" : "");
}

/* O_DIRECT writes of whole pages; the last partial page merged. */
static int load_block(struct rm_ctx *ctx, int in, int dev, uint64_t off, struct load_progress *p)
{
	uint64_t done = 0;
	void *buf;
	int ret = RM_EXIT_OK;

	if (posix_memalign(&buf, LOAD_PAGE, LOAD_PIECE))
		return rm_failf(ctx, "out of memory");
	for (;;) {
		ssize_t n = read_full(in, buf, LOAD_PIECE);
		size_t whole, tail;

		if (n < 0) {
			ret = rm_failf(ctx, "reading %s: %s", p->name, strerror(errno));
			break;
		}
		if (!n)
			break;
		whole = (size_t)n & ~(size_t)(LOAD_PAGE - 1);
		tail = (size_t)n - whole;
		if (whole && pwrite(dev, buf, whole, (off_t)(off + done)) != (ssize_t)whole) {
			ret = rm_failf(ctx, "writing at %llu: %s", (unsigned long long)(off + done),
				       strerror(errno));
			break;
		}
		if (tail) {
			/* The file ends inside this page: keep the region's bytes after it. */
			char *page = (char *)buf + whole, keep[LOAD_PAGE];

			memcpy(keep, page, tail);
			if (pread(dev, page, LOAD_PAGE, (off_t)(off + done + whole)) != LOAD_PAGE ||
			    (memcpy(page, keep, tail),
			     pwrite(dev, page, LOAD_PAGE, (off_t)(off + done + whole)) != LOAD_PAGE)) {
				ret = rm_failf(ctx, "writing the last page at %llu: %s",
					       (unsigned long long)(off + done + whole), strerror(errno));
				break;
			}
		}
		done += (uint64_t)n;
		progress(p, done, false);
		if ((size_t)n < LOAD_PIECE)
			break;
	}
	free(buf);
	if (ret == RM_EXIT_OK && fsync(dev))
		ret = rm_failf(ctx, "fsync: %s", strerror(errno));
	return ret;
}

/* read(2) straight into the mapping; fsync writes the chunks back. */
static int load_mmap(struct rm_ctx *ctx, int in, int dev, uint64_t off, uint64_t len,
		     struct load_progress *p)
{
	uint64_t done = 0;
	char *map;
	int ret = RM_EXIT_OK;

	if (!len)
		return RM_EXIT_OK;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dev, (off_t)off);
	if (map == MAP_FAILED)
		return rm_failf(ctx, "mmap: %s", strerror(errno));
	while (done < len) {
		size_t want = len - done < LOAD_PIECE ? (size_t)(len - done) : LOAD_PIECE;
		ssize_t n = read_full(in, map + done, want);

		if (n < 0) {
			ret = rm_failf(ctx, "reading %s: %s", p->name, strerror(errno));
			break;
		}
		done += (uint64_t)n;
		progress(p, done, false);
		if ((size_t)n < want)
			break;
	}
	if (ret == RM_EXIT_OK && fsync(dev))
		ret = rm_failf(ctx, "fsync (writing the chunks back): %s", strerror(errno));
	munmap(map, len);
	return ret;
}

int rm_load_run(struct rm_ctx *ctx, const struct rm_req *req)
{
	struct load_region lr = { 0 };
	struct load_progress p = { .name = req->file };
	char path[80], sz[32], rsz[32];
	struct nl_msg *msg;
	struct stat st;
	struct rm_rec r;
	double secs;
	int in, dev, ret;

	ret = rm_open(ctx);
	if (ret)
		return ret;
	msg = rm_nl_msg(&ctx->nl, RMEM_CMD_REGION_GET, false);
	if (!msg || nla_put_string(msg, RMEM_A_REGION_NAME, req->name) < 0) {
		if (msg)
			nlmsg_free(msg);
		return rm_fail(ctx, -ENOMEM);
	}
	ret = rm_nl_exec(&ctx->nl, msg, load_region_reply, &lr);
	if (ret == -ENOENT)
		return rm_failf(ctx, "no region named '%s' (rmemctl region show lists them)",
				req->name);
	if (ret)
		return rm_fail(ctx, ret);
	if (!lr.found)
		return rm_failf(ctx, "region %s: no reply", req->name);

	in = open(req->file, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return rm_failf(ctx, "%s: %s", req->file, strerror(errno));
	if (fstat(in, &st) || !S_ISREG(st.st_mode)) {
		close(in);
		return rm_failf(ctx, "%s: not a regular file", req->file);
	}
	p.total = (uint64_t)st.st_size;
	rm_fmt_size(p.total, sz, sizeof(sz));
	rm_fmt_size(lr.size, rsz, sizeof(rsz));
	if (req->offset > lr.size || p.total > lr.size - req->offset) {
		close(in);
		return rm_failf(ctx, "%s (%s) does not fit in region %s (%s) at offset %llu",
				req->file, sz, req->name, rsz, (unsigned long long)req->offset);
	}
	snprintf(path, sizeof(path), "/dev/%s", lr.device);
	/* A block region is read too: the file's last page is merged. */
	dev = open(path, O_RDWR | O_CLOEXEC | (lr.type == RMEM_REGION_MMAP ? 0 : O_DIRECT));
	if (dev < 0) {
		ret = errno;
		close(in);
		return rm_failf(ctx, "%s: %s%s", path, strerror(ret),
				ret == ENOENT ? " (no device node: is udev running?)" : "");
	}
	p.tty = isatty(STDERR_FILENO);
	p.t0 = p.last = now_s();
	if (lr.type == RMEM_REGION_MMAP)
		ret = load_mmap(ctx, in, dev, req->offset, p.total, &p);
	else
		ret = load_block(ctx, in, dev, req->offset, &p);
	secs = now_s() - p.t0;
	close(dev);
	close(in);
	if (ret != RM_EXIT_OK)
		return ret;
	progress(&p, p.total, true);
	rm_rec_init(&r);
	rm_rec_str(&r, "name", "region", req->name);
	rm_rec_str(&r, "device", "device", lr.device);
	rm_rec_str(&r, "file", "file", req->file);
	rm_rec_u64(&r, "offset", "offset", RM_F_U64, true, req->offset);
	rm_rec_u64(&r, "bytes", "loaded", RM_F_SIZE, true, p.total);
	rm_rec_u64(&r, "ms", "ms", RM_F_U64, true, (uint64_t)(secs * 1000));
	rm_rec_u64(&r, "mb_per_s", "MB/s", RM_F_U64, true,
		   secs > 0 ? (uint64_t)(p.total / 1e6 / secs) : 0);
	rm_out_result(&ctx->out, &r);
	return RM_EXIT_OK;
}
