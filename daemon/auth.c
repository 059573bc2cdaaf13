// SPDX-License-Identifier: GPL-2.0
/*
 * rmem authentication primitives; see auth.h and the "Authentication
 * (version 2)" comment of include/rmem-proto.h, which this follows byte for
 * byte: every MAC is HMAC-SHA256 keyed with the cluster key over a 16-byte
 * ASCII label and wire-order fields. Intermediate buffers that depend on the
 * key are wiped before they go out of scope.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "auth.h"

static_assert(sizeof(RMEM_AUTH_LABEL_KEY_ID) - 1 == RMEM_AUTH_LABEL_LEN, "label length");
static_assert(sizeof(RMEM_AUTH_LABEL_SERVER) - 1 == RMEM_AUTH_LABEL_LEN, "label length");
static_assert(sizeof(RMEM_AUTH_LABEL_CLIENT) - 1 == RMEM_AUTH_LABEL_LEN, "label length");
static_assert(sizeof(RMEM_AUTH_LABEL_RDMA_CM) - 1 == RMEM_AUTH_LABEL_LEN, "label length");
static_assert(offsetof(struct rmem_hello, mac) == 32, "hello: mac after 32 bytes");
static_assert(offsetof(struct rmem_rdma_cm_req, mac) == 40, "cm req: mac after 40 bytes");

/**
 * rmem_auth_hmac() - HMAC-SHA256 over the concatenation of @parts
 * @key: the key
 * @parts: byte strings, in order
 * @nparts: how many
 * @mac: the result
 *
 * Return: 0, or -EIO.
 */
int rmem_auth_hmac(const uint8_t key[RMEM_AUTH_KEY_LEN], const struct rmem_auth_part *parts,
		   size_t nparts, uint8_t mac[RMEM_AUTH_MAC_LEN])
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *hmac;
	size_t len = 0;
	int ret = -EIO;

	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!hmac)
		return -EIO;
	ctx = EVP_MAC_CTX_new(hmac);
	if (!ctx || !EVP_MAC_init(ctx, key, RMEM_AUTH_KEY_LEN, params))
		goto out_free;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].len && !EVP_MAC_update(ctx, parts[i].data, parts[i].len))
			goto out_free;
	if (!EVP_MAC_final(ctx, mac, &len, RMEM_AUTH_MAC_LEN) || len != RMEM_AUTH_MAC_LEN)
		goto out_free;
	ret = 0;
out_free:
	EVP_MAC_CTX_free(ctx);	/* cleanses the key schedule */
	EVP_MAC_free(hmac);
	return ret;
}

/**
 * rmem_auth_key_id() - a key's id: the first 8 bytes of
 *	HMAC(K, "rmem-auth-key-id") as a little-endian u64
 * @key: the key
 * @id: the id
 *
 * Return: 0, or -EIO.
 */
int rmem_auth_key_id(const uint8_t key[RMEM_AUTH_KEY_LEN], uint64_t *id)
{
	const struct rmem_auth_part parts[] = {
		{ RMEM_AUTH_LABEL_KEY_ID, RMEM_AUTH_LABEL_LEN },
	};
	uint8_t mac[RMEM_AUTH_MAC_LEN];
	uint64_t le;
	int ret;

	ret = rmem_auth_hmac(key, parts, 1, mac);
	if (!ret) {
		memcpy(&le, mac, sizeof(le));
		*id = le64toh(le);
	}
	explicit_bzero(mac, sizeof(mac));
	return ret;
}

/**
 * rmem_auth_key_init() - a key with its id
 * @k: filled in
 * @key: the key bytes (copied)
 *
 * Return: 0, or -EIO (@k is then wiped).
 */
int rmem_auth_key_init(struct rmem_auth_key *k, const uint8_t key[RMEM_AUTH_KEY_LEN])
{
	memcpy(k->key, key, RMEM_AUTH_KEY_LEN);
	if (rmem_auth_key_id(k->key, &k->id)) {
		explicit_bzero(k, sizeof(*k));
		return -EIO;
	}
	return 0;
}

/* HMAC(K, @label | key_id | Nc | Ns | @extra): the two MACs of the AUTH exchange. */
static int nonce_mac(const struct rmem_auth_key *k, const char *label,
		     const uint8_t nc[RMEM_AUTH_NONCE_LEN], const uint8_t ns[RMEM_AUTH_NONCE_LEN],
		     const void *extra, size_t extra_len, uint8_t mac[RMEM_AUTH_MAC_LEN])
{
	uint64_t id = htole64(k->id);
	const struct rmem_auth_part parts[] = {
		{ label, RMEM_AUTH_LABEL_LEN },
		{ &id, sizeof(id) },
		{ nc, RMEM_AUTH_NONCE_LEN },
		{ ns, RMEM_AUTH_NONCE_LEN },
		{ extra, extra_len },
	};

	return rmem_auth_hmac(k->key, parts, 5, mac);
}

/**
 * rmem_auth_server_mac() - HMAC(K, "rmem-auth-server" | key_id | Nc | Ns),
 *	the server's half of the AUTH exchange (struct rmem_auth_reply.mac)
 * @k: key
 * @nc: the client's nonce (struct rmem_auth.nonce)
 * @ns: the server's nonce (struct rmem_auth_reply.nonce)
 * @mac: the result
 *
 * Return: 0, or -EIO.
 */
int rmem_auth_server_mac(const struct rmem_auth_key *k, const uint8_t nc[RMEM_AUTH_NONCE_LEN],
			 const uint8_t ns[RMEM_AUTH_NONCE_LEN], uint8_t mac[RMEM_AUTH_MAC_LEN])
{
	return nonce_mac(k, RMEM_AUTH_LABEL_SERVER, nc, ns, NULL, 0, mac);
}

/**
 * rmem_auth_hello_mac() - HMAC(K, "rmem-auth-client" | key_id | Nc | Ns |
 *	hello[0..32)), the client's proof in struct rmem_hello.mac
 * @k: key
 * @nc: the client's nonce
 * @ns: the server's nonce
 * @hello: the HELLO as on the wire; its @mac is not read
 * @mac: the result
 *
 * Return: 0, or -EIO.
 */
int rmem_auth_hello_mac(const struct rmem_auth_key *k, const uint8_t nc[RMEM_AUTH_NONCE_LEN],
			const uint8_t ns[RMEM_AUTH_NONCE_LEN], const struct rmem_hello *hello,
			uint8_t mac[RMEM_AUTH_MAC_LEN])
{
	return nonce_mac(k, RMEM_AUTH_LABEL_CLIENT, nc, ns, hello,
			 offsetof(struct rmem_hello, mac), mac);
}

/**
 * rmem_auth_cm_req_mac() - the first RMEM_RDMA_CM_MAC_LEN bytes of
 *	HMAC(K, "rmem-auth-rdmacm" | req[0..40)) (struct rmem_rdma_cm_req.mac)
 * @k: key
 * @req: the connect request as on the wire; its @mac is not read
 * @mac: the truncated result
 *
 * Return: 0, or -EIO.
 */
int rmem_auth_cm_req_mac(const struct rmem_auth_key *k, const struct rmem_rdma_cm_req *req,
			 uint8_t mac[RMEM_RDMA_CM_MAC_LEN])
{
	const struct rmem_auth_part parts[] = {
		{ RMEM_AUTH_LABEL_RDMA_CM, RMEM_AUTH_LABEL_LEN },
		{ req, offsetof(struct rmem_rdma_cm_req, mac) },
	};
	uint8_t full[RMEM_AUTH_MAC_LEN];
	int ret;

	ret = rmem_auth_hmac(k->key, parts, 2, full);
	if (!ret)
		memcpy(mac, full, RMEM_RDMA_CM_MAC_LEN);
	explicit_bzero(full, sizeof(full));
	return ret;
}

/**
 * rmem_auth_cm_req_sign() - client side: set a connect request's key_id,
 *	a fresh nonce and its mac
 * @k: key
 * @req: the request, every other field already in wire order
 *
 * Return: 0, or a negative errno.
 */
int rmem_auth_cm_req_sign(const struct rmem_auth_key *k, struct rmem_rdma_cm_req *req)
{
	int ret;

	req->key_id = htole64(k->id);
	ret = rmem_auth_nonce(req->nonce, sizeof(req->nonce));
	if (ret)
		return ret;
	return rmem_auth_cm_req_mac(k, req, req->mac);
}

/**
 * rmem_auth_equal() - compare two MACs in constant time
 * @a: one
 * @b: the other
 * @len: bytes
 *
 * Return: true when equal.
 */
bool rmem_auth_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

/**
 * rmem_auth_nonce() - random bytes for a nonce
 * @buf: filled
 * @len: bytes
 *
 * Return: 0, or the -errno of getrandom().
 */
int rmem_auth_nonce(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * rmem_auth_session_tag() - how logs name a session: the first 4 bytes of
 *	SHA-256 of the session id's 8 little-endian bytes, in lowercase hex
 * @session: session id
 * @tag: 8 hex digits and a NUL ("????????" if libcrypto failed)
 *
 * Return: @tag, to use it as a printf argument.
 */
char *rmem_auth_session_tag(uint64_t session, char tag[RMEM_AUTH_TAG_LEN])
{
	uint64_t le = htole64(session);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(&le, sizeof(le), md, &mdlen, EVP_sha256(), NULL) || mdlen < 4)
		snprintf(tag, RMEM_AUTH_TAG_LEN, "????????");
	else
		snprintf(tag, RMEM_AUTH_TAG_LEN, "%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
	return tag;
}

/**
 * rmem_auth_key_find() - look a key up by id
 * @keys: table
 * @n: entries
 * @id: key id
 * @idx: set to its index when found (may be NULL)
 *
 * Return: the key, or NULL.
 */
const struct rmem_auth_key *rmem_auth_key_find(const struct rmem_auth_key *keys, uint32_t n,
					       uint64_t id, int *idx)
{
	for (uint32_t i = 0; i < n; i++) {
		if (keys[i].id == id) {
			if (idx)
				*idx = (int)i;
			return &keys[i];
		}
	}
	return NULL;
}
