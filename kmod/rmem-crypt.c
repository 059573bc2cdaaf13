// SPDX-License-Identifier: GPL-2.0
/*
 * rmem-crypt.c - pages are encrypted before they leave the compute node
 *
 * A region made with encryption on (the default: the "encrypt" module
 * parameter, or region add ... encrypt on|off) has an AES-256 key of its
 * own in XTS mode, drawn from get_random_bytes() when the region is added.
 * The key lives only in the region's transform: not in a parameter, sysfs,
 * a log or on the wire, and it dies with the region, so a memory node -- or
 * whoever reads its memory -- only ever holds ciphertext. Each 4 KiB page is
 * one XTS data unit whose tweak is the page's index in the region (as
 * dm-crypt's plain64 IV): the same plaintext at two places, or in two
 * regions, gives different ciphertext.
 *
 * Writes are encrypted into bounce pages, which the transports send as
 * they would the caller's (over RDMA the bounce page is the one-sided
 * WRITE's source); the caller's pages are never changed. Reads arrive in
 * the caller's pages and are decrypted there, after their checksum held:
 * the checksums (rmem-region.c) are of what the memory node stores, so a
 * rebuild copies ciphertext and checks it without the key.
 *
 * A published region (rmemctl region add ... publish key-file FILE) is
 * read by other compute nodes, so its key cannot be random: it is derived
 * from a key its readers share and its memory nodes do not (the region's
 * key, RMEM_A_KEY), and from RMEM_PUB_SALT_LEN random bytes drawn when it
 * is published (rmem_crypt_pub_new()). The seal stores the salt and a check
 * value of the key in the region's trailer, where an attach finds them: it
 * derives the same transform from the key it is given, or refuses a key
 * whose check value differs. The trailer itself is never encrypted.
 *
 * The cipher is the kernel's fastest CPU implementation of xts(aes), as
 * dm-crypt's and fscrypt's: on x86 the AES-NI/VAES code, which the crypto
 * API offers only behind its SIMD wrapper, an "asynchronous" transform that
 * runs the cipher at once wherever the FPU may be used -- everywhere rmem
 * en- or decrypts (process context: queue_rq, work items, the transports'
 * completion work). A synchronous transform would be the xts template over
 * the single-block AES-NI cipher instead, one kernel_fpu_begin() and end
 * per 16 bytes, 256 per page. Where the FPU may not be used (a hard
 * interrupt, another kernel_fpu_begin() section) a synchronous transform
 * with the same key does the work (struct rmem_crypt). Offload drivers are
 * left out: a 4 KiB unit does not pay for a device's round trip.
 *
 * Bounce pages come from a mempool that holds one largest request's worth,
 * taken as dm-crypt does: without waiting first, and when that fails, one
 * request at a time under a mutex, waiting for pages to come back. A write
 * in the swap path never enters reclaim that could write to swap. The
 * block device does not wait at all: its submitter may be any task in
 * direct reclaim (kthreadd, the RDMA stack's completion worker), whose
 * progress the writes holding those pages may need (a reconnect), so
 * blk-mq is told to try again later (BLK_STS_RESOURCE).
 */

#include <crypto/algapi.h>
#include <crypto/internal/simd.h>
#include <crypto/skcipher.h>
#include <linux/bvec.h>
#include <linux/highmem.h>
#include <linux/mempool.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/uio.h>

#include <asm/simd.h>

#include "rmem.h"

/* AES-256 in XTS mode: two 256-bit keys. */
#define RMEM_CRYPT_KEY_LEN	64
/* Pieces one 4 KiB unit may come in: 512-byte aligned segments. */
#define RMEM_CRYPT_UNIT_SEGS	(RMEM_PAGE_SIZE / 512)

static mempool_t *rmem_crypt_pages;
static mempool_t *rmem_crypt_vecs;
/* Whoever holds it may wait for the reserve; see rmem_crypt_alloc(). */
static DEFINE_MUTEX(rmem_crypt_reserve);

/* A bounce page from the page allocator, unless a test wants only the reserve. */
static void *rmem_crypt_page_alloc(gfp_t gfp, void *order)
{
	if (READ_ONCE(rmem_fi_bounce_reserve))
		return NULL;
	return mempool_alloc_pages(gfp, order);
}

/**
 * rmem_crypt_init() - make the bounce page reserve
 *
 * Return: 0 or -ENOMEM.
 */
int __init rmem_crypt_init(void)
{
	rmem_crypt_pages = mempool_create(RMEM_RIO_MAX_PAGES, rmem_crypt_page_alloc,
					  mempool_free_pages, (void *)0);
	if (!rmem_crypt_pages)
		return -ENOMEM;
	rmem_crypt_vecs = mempool_create_kmalloc_pool(1, RMEM_RIO_MAX_PAGES *
						      sizeof(struct bio_vec));
	if (!rmem_crypt_vecs) {
		mempool_destroy(rmem_crypt_pages);
		return -ENOMEM;
	}
	return 0;
}

/**
 * rmem_crypt_exit() - undo rmem_crypt_init(); no request may be in flight
 */
void rmem_crypt_exit(void)
{
	mempool_destroy(rmem_crypt_vecs);
	mempool_destroy(rmem_crypt_pages);
}

/*
 * The largest request the fast transform may need, so that one fits on the
 * stack (the SIMD wrapper's is under 200 bytes); a larger one is not used.
 */
#define RMEM_CRYPT_REQSIZE_MAX	384

/**
 * struct rmem_crypt - a region's cipher, with its key
 * @tfm: the fastest CPU implementation of xts(aes) when that is a SIMD
 *	wrapper; NULL otherwise (then @sync is the fastest)
 * @sync: a synchronous xts(aes), for where @tfm cannot run at once
 */
struct rmem_crypt {
	struct crypto_skcipher *tfm;
	struct crypto_sync_skcipher *sync;
};

/*
 * Whether @tfm is the crypto API's SIMD wrapper of an internal algorithm
 * (simd_register_skciphers_compat() names it after "__" + its own driver
 * name): it runs at once where crypto_simd_usable(). Anything else that
 * is asynchronous (a device) would make every page wait for it.
 */
static bool rmem_crypt_simd(struct crypto_skcipher *tfm)
{
	char name[CRYPTO_MAX_ALG_NAME];

	if (snprintf(name, sizeof(name), "__%s", crypto_skcipher_driver_name(tfm)) >=
	    sizeof(name))
		return false;
	return crypto_has_skcipher(name, CRYPTO_ALG_INTERNAL, CRYPTO_ALG_INTERNAL);
}

/* An xts(aes) cipher keyed with @key (RMEM_CRYPT_KEY_LEN bytes). */
static struct rmem_crypt *rmem_crypt_tfm(const u8 *key, struct netlink_ext_ack *extack)
{
	struct crypto_skcipher *tfm;
	struct rmem_crypt *c;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		NL_SET_ERR_MSG(extack, "encryption: out of memory for the cipher");
		return ERR_PTR(-ENOMEM);
	}
	c->sync = crypto_alloc_sync_skcipher("xts(aes)", 0, 0);
	if (IS_ERR(c->sync)) {
		ret = PTR_ERR(c->sync);
		kfree(c);
		NL_SET_ERR_MSG(extack, "encryption needs xts(aes) in the kernel's crypto API");
		return ERR_PTR(ret);
	}
	ret = crypto_sync_skcipher_setkey(c->sync, key, RMEM_CRYPT_KEY_LEN);
	if (ret) {
		crypto_free_sync_skcipher(c->sync);
		kfree(c);
		NL_SET_ERR_MSG(extack, "encryption: the xts(aes) key was refused");
		return ERR_PTR(ret);
	}
	/*
	 * The best one without offload drivers (those that may allocate per
	 * request or are flagged driver-only; fscrypt asks the same): if it
	 * is a SIMD wrapper, use it (a synchronous best one is @sync itself).
	 */
	tfm = crypto_alloc_skcipher("xts(aes)", 0,
				    CRYPTO_ALG_ALLOCATES_MEMORY | CRYPTO_ALG_KERN_DRIVER_ONLY);
	if (IS_ERR(tfm))
		return c;
	if (!rmem_crypt_simd(tfm) || crypto_skcipher_reqsize(tfm) > RMEM_CRYPT_REQSIZE_MAX ||
	    crypto_skcipher_setkey(tfm, key, RMEM_CRYPT_KEY_LEN)) {
		crypto_free_skcipher(tfm);
		return c;
	}
	c->tfm = tfm;
	return c;
}

/**
 * rmem_crypt_new() - a transform with a fresh random key, for one region
 * @extack: error report
 *
 * Context: process; sleeps.
 * Return: the cipher, or an ERR_PTR().
 */
struct rmem_crypt *rmem_crypt_new(struct netlink_ext_ack *extack)
{
	struct rmem_crypt *tfm;
	u8 key[RMEM_CRYPT_KEY_LEN];

	/* XTS wants two different halves (FIPS mode refuses equal ones). */
	do {
		get_random_bytes(key, sizeof(key));
	} while (!crypto_memneq(key, key + RMEM_CRYPT_KEY_LEN / 2, RMEM_CRYPT_KEY_LEN / 2));
	tfm = rmem_crypt_tfm(key, extack);
	memzero_explicit(key, sizeof(key));
	return tfm;
}

/* Labels of the derivation: Documentation/design.rst, Published regions. */
#define RMEM_PUB_LABEL_XTS	"rmem-pub-xts-key"
#define RMEM_PUB_LABEL_CHECK	"rmem-pub-key-check"

/**
 * rmem_crypt_pub_new() - the transform of a published region, from its key
 * @key: the region's key, RMEM_KEY_LEN bytes (the caller wipes its copy)
 * @salt: the RMEM_PUB_SALT_LEN random bytes drawn when it was published
 * @name: its name
 * @check: set to the key's check value, RMEM_PUB_CHECK_LEN bytes
 * @extack: error report
 *
 * With N the name NUL-padded to RMEM_REGION_NAME_MAX bytes, the XTS key is
 * HMAC-SHA256(@key, "rmem-pub-xts-key" || @salt || N || 1) followed by the
 * same with 2; @check is HMAC-SHA256(@key, "rmem-pub-key-check" || @salt ||
 * N). A new salt for each publication keeps two regions published with one
 * key (or one name published again) from sharing ciphertext; @check tells
 * whether a key is the region's, and nothing of the XTS key; N in both
 * makes another region published with the key, put in its place by a
 * memory node, fail the check.
 *
 * Context: process; sleeps.
 * Return: the transform, or an ERR_PTR().
 */
struct rmem_crypt *rmem_crypt_pub_new(const u8 *key, const u8 *salt, const char *name,
				      u8 *check, struct netlink_ext_ack *extack)
{
	char padded[RMEM_REGION_NAME_MAX] = {};
	struct rmem_crypt *tfm;
	u8 xkey[RMEM_CRYPT_KEY_LEN];
	u8 half;
	struct kvec v[4] = {
		{ .iov_base = RMEM_PUB_LABEL_XTS, .iov_len = sizeof(RMEM_PUB_LABEL_XTS) - 1 },
		{ .iov_base = (void *)salt, .iov_len = RMEM_PUB_SALT_LEN },
		{ .iov_base = padded, .iov_len = sizeof(padded) },
		{ .iov_base = &half, .iov_len = 1 },
	};
	int ret;

	BUILD_BUG_ON(RMEM_CRYPT_KEY_LEN != 2 * RMEM_AUTH_MAC_LEN);
	BUILD_BUG_ON(RMEM_PUB_CHECK_LEN != RMEM_AUTH_MAC_LEN);
	strscpy(padded, name, sizeof(padded));
	half = 1;
	ret = rmem_auth_derive(key, v, 4, xkey);
	half = 2;
	if (!ret)
		ret = rmem_auth_derive(key, v, 4, xkey + RMEM_AUTH_MAC_LEN);
	v[0].iov_base = RMEM_PUB_LABEL_CHECK;
	v[0].iov_len = sizeof(RMEM_PUB_LABEL_CHECK) - 1;
	if (!ret)
		ret = rmem_auth_derive(key, v, 3, check);
	if (ret) {
		memzero_explicit(xkey, sizeof(xkey));
		NL_SET_ERR_MSG(extack, "the region's key: HMAC-SHA256 failed");
		return ERR_PTR(ret);
	}
	tfm = rmem_crypt_tfm(xkey, extack);
	memzero_explicit(xkey, sizeof(xkey));
	return tfm;
}

/**
 * rmem_crypt_free() - free a cipher of rmem_crypt_new() (and its key)
 * @c: the cipher, or NULL
 */
void rmem_crypt_free(struct rmem_crypt *c)
{
	if (!c)
		return;
	if (c->tfm)
		crypto_free_skcipher(c->tfm);
	crypto_free_sync_skcipher(c->sync);
	kfree(c);
}

/**
 * rmem_crypt_driver() - the implementation a cipher uses, for sysfs
 * @c: the cipher
 *
 * Return: its crypto API driver name (e.g. "xts-aes-aesni").
 */
const char *rmem_crypt_driver(const struct rmem_crypt *c)
{
	return c->tfm ? crypto_skcipher_driver_name(c->tfm) :
			crypto_skcipher_driver_name(&c->sync->base);
}

/* Where a walk over a bio_vec array is. */
struct rmem_bvec_pos {
	unsigned int i;
	u32 off;
};

/*
 * @sg: the next 4 KiB of @bv[0..@nr) from @pos (which moves past it), in
 * pieces that do not cross a page. -EIO if the array ends first or the
 * unit comes in more pieces than 512-byte segments make.
 */
static int rmem_crypt_unit_sg(const struct bio_vec *bv, unsigned int nr,
			      struct rmem_bvec_pos *pos, struct scatterlist *sg)
{
	u32 left = RMEM_PAGE_SIZE;
	unsigned int n = 0;

	sg_init_table(sg, RMEM_CRYPT_UNIT_SEGS);
	while (left) {
		const struct bio_vec *v;
		u32 at, len;

		if (pos->i >= nr || n == RMEM_CRYPT_UNIT_SEGS)
			return -EIO;
		v = &bv[pos->i];
		at = v->bv_offset + pos->off;
		len = min3(v->bv_len - pos->off, (u32)PAGE_SIZE - (u32)offset_in_page(at), left);
		sg_set_page(&sg[n++], nth_page(v->bv_page, at >> PAGE_SHIFT), len,
			    offset_in_page(at));
		left -= len;
		pos->off += len;
		if (pos->off >= v->bv_len) {
			pos->i++;
			pos->off = 0;
		}
	}
	sg_mark_end(&sg[n - 1]);
	return 0;
}

/*
 * En- or decrypt one 4 KiB unit with the fast transform. A SIMD wrapper
 * called where the FPU is usable runs the cipher before it returns (it
 * defers to cryptd only what it cannot run, and then, in atomic context,
 * what follows while cryptd holds some: never, since those go to the
 * synchronous transform); should it defer all the same, this waits.
 * noinline, as the other: each request is on the stack of its own frame.
 */
static noinline int rmem_crypt_unit_fast(struct crypto_skcipher *tfm, struct scatterlist *src,
					 struct scatterlist *dst, __le64 *iv, bool encrypt)
{
	char buf[sizeof(struct skcipher_request) + RMEM_CRYPT_REQSIZE_MAX] CRYPTO_MINALIGN_ATTR;
	struct skcipher_request *req = (void *)buf;
	DECLARE_CRYPTO_WAIT(wait);
	int ret;

	skcipher_request_set_tfm(req, tfm);
	skcipher_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG, crypto_req_done, &wait);
	skcipher_request_set_crypt(req, src, dst, RMEM_PAGE_SIZE, iv);
	ret = encrypt ? crypto_skcipher_encrypt(req) : crypto_skcipher_decrypt(req);
	ret = crypto_wait_req(ret, &wait);
	skcipher_request_zero(req);
	return ret;
}

static noinline int rmem_crypt_unit_sync(struct crypto_sync_skcipher *tfm,
					 struct scatterlist *src, struct scatterlist *dst,
					 __le64 *iv, bool encrypt)
{
	SYNC_SKCIPHER_REQUEST_ON_STACK(req, tfm);
	int ret;

	skcipher_request_set_sync_tfm(req, tfm);
	skcipher_request_set_callback(req, 0, NULL, NULL);
	skcipher_request_set_crypt(req, src, dst, RMEM_PAGE_SIZE, iv);
	ret = encrypt ? crypto_skcipher_encrypt(req) : crypto_skcipher_decrypt(req);
	skcipher_request_zero(req);
	return ret;
}

/* En- or decrypt one 4 KiB unit, the @index'th page of its region. */
static int rmem_crypt_unit(struct rmem_crypt *c, struct scatterlist *src,
			   struct scatterlist *dst, u64 index, bool encrypt)
{
	__le64 iv[2] = { cpu_to_le64(index), 0 };
	int ret;

	if (c->tfm && crypto_simd_usable() && !READ_ONCE(rmem_fi_crypt_sync))
		ret = rmem_crypt_unit_fast(c->tfm, src, dst, iv, encrypt);
	else
		ret = rmem_crypt_unit_sync(c->sync, src, dst, iv, encrypt);
	/* The cipher may leave the last tweak in it. */
	memzero_explicit(iv, sizeof(iv));
	return ret;
}

static void rmem_crypt_put(struct bio_vec *vec, unsigned int n)
{
	while (n--)
		mempool_free(vec[n].bv_page, rmem_crypt_pages);
	mempool_free(vec, rmem_crypt_vecs);
}

/*
 * @n bounce pages. First without waiting; when the pool runs dry, one
 * request at a time waits for pages to come back (the reserve holds one
 * largest request), so two half-served requests never wait for each other.
 * @nowait: never wait; NULL when they are not there now.
 */
static struct bio_vec *rmem_crypt_alloc(unsigned int n, bool nowait)
{
	gfp_t gfp = GFP_NOWAIT | __GFP_NOWARN;
	struct bio_vec *vec;
	unsigned int i;

	for (;;) {
		vec = mempool_alloc(rmem_crypt_vecs, gfp);
		for (i = 0; vec && i < n; i++) {
			struct page *page = mempool_alloc(rmem_crypt_pages, gfp);

			if (!page) {
				rmem_crypt_put(vec, i);
				vec = NULL;
				break;
			}
			vec[i].bv_page = page;
			vec[i].bv_offset = 0;
			vec[i].bv_len = RMEM_PAGE_SIZE;
		}
		if (gfp == GFP_NOIO) {
			mutex_unlock(&rmem_crypt_reserve);
			return vec;	/* mempool_alloc() waits: never NULL */
		}
		if (vec || nowait)
			return vec;
		mutex_lock(&rmem_crypt_reserve);
		gfp = GFP_NOIO;
	}
}

/**
 * rmem_crypt_write() - encrypt a write's pages into bounce pages
 * @tfm: the region's cipher
 * @rio: the write: io.bvec and io.nr_bvec are replaced by the ciphertext's
 *	until rmem_crypt_done()
 * @index: the region page the write starts at
 * @nowait: do not wait for bounce pages
 *
 * Context: process; may sleep for bounce pages (never on I/O), unless
 * @nowait.
 * Return: 0, -EAGAIN (@nowait: no bounce pages now) or -EIO (a request this
 * module never makes); on error @rio is unchanged.
 */
int rmem_crypt_write(struct rmem_crypt *tfm, struct rmem_rio *rio, u64 index, bool nowait)
{
	struct rmem_req *io = &rio->io;
	unsigned int i, n = io->len >> RMEM_PAGE_SHIFT;
	struct scatterlist src[RMEM_CRYPT_UNIT_SEGS], dst;
	struct rmem_bvec_pos pos = {};
	struct bio_vec *vec;
	int ret = 0;

	if (!n || n > RMEM_RIO_MAX_PAGES || io->len % RMEM_PAGE_SIZE)
		return -EIO;
	vec = rmem_crypt_alloc(n, nowait);
	if (!vec)
		return -EAGAIN;
	for (i = 0; i < n && !ret; i++) {
		ret = rmem_crypt_unit_sg(io->bvec, io->nr_bvec, &pos, src);
		if (ret)
			break;
		sg_init_table(&dst, 1);
		sg_set_page(&dst, vec[i].bv_page, RMEM_PAGE_SIZE, 0);
		ret = rmem_crypt_unit(tfm, src, &dst, index + i, true);
	}
	if (ret) {
		rmem_crypt_put(vec, n);
		return -EIO;
	}
	rio->plain = io->bvec;
	rio->nr_plain = io->nr_bvec;
	io->bvec = vec;
	io->nr_bvec = n;
	return 0;
}

/**
 * rmem_crypt_done() - give back a write's bounce pages, if it has any
 * @rio: the write: every request of it completed
 *
 * Context: any (no sleeping).
 */
void rmem_crypt_done(struct rmem_rio *rio)
{
	if (!rio->plain)
		return;
	rmem_crypt_put(rio->io.bvec, rio->io.nr_bvec);
	rio->io.bvec = rio->plain;
	rio->io.nr_bvec = rio->nr_plain;
	rio->plain = NULL;
}

/* Whether the unit @sg describes is all zeros. */
static bool rmem_crypt_sg_zero(struct scatterlist *sg)
{
	bool zero = true;

	for (; sg && zero; sg = sg_next(sg)) {
		void *va = kmap_local_page(sg_page(sg));

		zero = !memchr_inv(va + sg->offset, 0, sg->length);
		kunmap_local(va);
	}
	return zero;
}

/**
 * rmem_crypt_read() - decrypt, in place, the pages of a read that hold data
 * @tfm: the region's cipher
 * @io: the read, with the node's data (ciphertext) in io->bvec
 * @index: the region page the read starts at
 * @written: the region's bitmap of pages that hold data: the others are
 *	left as they are (the caller zeroes them)
 * @zero_hole: a page that reads as all zeros was never written (an
 *	attached region's, whose publisher did not write it): left as it is.
 *	Ciphertext is never a page of zeros, short of 2^-32768.
 *
 * Context: any (no sleeping, no allocation).
 * Return: 0 or -EIO.
 */
int rmem_crypt_read(struct rmem_crypt *tfm, struct rmem_req *io, u64 index,
		    const unsigned long *written, bool zero_hole)
{
	unsigned int i, n = io->len >> RMEM_PAGE_SHIFT;
	struct scatterlist sg[RMEM_CRYPT_UNIT_SEGS];
	struct rmem_bvec_pos pos = {};
	int ret;

	for (i = 0; i < n; i++) {
		ret = rmem_crypt_unit_sg(io->bvec, io->nr_bvec, &pos, sg);
		if (ret)
			return ret;
		if (!test_bit(index + i, written) || (zero_hole && rmem_crypt_sg_zero(sg)))
			continue;
		ret = rmem_crypt_unit(tfm, sg, sg, index + i, false);
		if (ret)
			return -EIO;
	}
	return 0;
}
