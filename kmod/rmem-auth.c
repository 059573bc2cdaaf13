// SPDX-License-Identifier: GPL-2.0
/*
 * rmem: authentication with memory nodes (include/rmem-proto.h,
 * "Authentication (version 2)").
 *
 * The key store holds the cluster keys installed with RMEM_CMD_KEY_ADD, at
 * most RMEM_KEY_MAX, under rmem_cfg_lock (only the control layer reaches
 * it). A key's bytes are never logged nor sent back; they are wiped when
 * the key is deleted and when the module unloads.
 *
 * A node added with a key gets its own HMAC-SHA256 transform keyed with it
 * (rmem_auth_node_key(), GFP_KERNEL, at node add): that keyed transform is
 * the node's copy of the key, so deleting the key from the store does not
 * break a node that uses it, and reconnects never look at the store. The
 * MACs of a connect (rmem_auth_start(), rmem_auth_finish(),
 * rmem_auth_hello(), rmem_auth_cm_req()) use a descriptor on the stack and
 * allocate nothing: they run in reconnect work while the system may be
 * swapping to the node, under memalloc_noio_save().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "rmem.h"

static_assert(RMEM_KEY_LEN == RMEM_AUTH_KEY_LEN, "uapi and wire key lengths");
static_assert(sizeof(RMEM_AUTH_LABEL_KEY_ID) - 1 == RMEM_AUTH_LABEL_LEN, "label length");
static_assert(sizeof(RMEM_AUTH_LABEL_SERVER) - 1 == RMEM_AUTH_LABEL_LEN, "label length");
static_assert(sizeof(RMEM_AUTH_LABEL_CLIENT) - 1 == RMEM_AUTH_LABEL_LEN, "label length");
static_assert(sizeof(RMEM_AUTH_LABEL_RDMA_CM) - 1 == RMEM_AUTH_LABEL_LEN, "label length");
static_assert(offsetof(struct rmem_hello, mac) == 32, "wire: hello bytes under the mac");
static_assert(offsetof(struct rmem_rdma_cm_req, mac) == 40, "wire: cm_req bytes under the mac");

/**
 * struct rmem_key - one installed cluster key
 * @id: its id
 * @key: its bytes
 */
struct rmem_key {
	u64 id;
	u8 key[RMEM_AUTH_KEY_LEN];
};

/* The key store; rmem_cfg_lock. */
static struct rmem_key *rmem_keys[RMEM_KEY_MAX];

/* HMAC over the concatenation of @n pieces; no allocation. */
static int rmem_auth_hmac(struct crypto_shash *tfm, const struct kvec *v, unsigned int n,
			  u8 out[RMEM_AUTH_MAC_LEN])
{
	SHASH_DESC_ON_STACK(desc, tfm);
	unsigned int i;
	int ret;

	desc->tfm = tfm;
	ret = crypto_shash_init(desc);
	for (i = 0; !ret && i < n; i++)
		ret = crypto_shash_update(desc, v[i].iov_base, v[i].iov_len);
	if (!ret)
		ret = crypto_shash_final(desc, out);
	shash_desc_zero(desc);
	return ret;
}

/* An HMAC-SHA256 transform keyed with @key (GFP_KERNEL context). */
static struct crypto_shash *rmem_auth_tfm_new(const u8 *key)
{
	struct crypto_shash *tfm;
	int ret;

	tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(tfm))
		return tfm;
	ret = crypto_shash_setkey(tfm, key, RMEM_AUTH_KEY_LEN);
	if (ret) {
		crypto_free_shash(tfm);
		return ERR_PTR(ret);
	}
	return tfm;
}

/**
 * rmem_auth_derive() - HMAC-SHA256 keyed with a key, over some pieces
 * @key: RMEM_AUTH_KEY_LEN bytes
 * @v: the pieces, concatenated
 * @n: how many
 * @out: the MAC
 *
 * Context: process (GFP_KERNEL: a transform for the call).
 * Return: 0 or -errno.
 */
int rmem_auth_derive(const u8 *key, const struct kvec *v, unsigned int n,
		     u8 out[RMEM_AUTH_MAC_LEN])
{
	struct crypto_shash *tfm;
	int ret;

	tfm = rmem_auth_tfm_new(key);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	ret = rmem_auth_hmac(tfm, v, n, out);
	crypto_free_shash(tfm);
	return ret;
}

/* The id of @key: HMAC(K, "rmem-auth-key-id"), first 8 bytes, little endian. */
static int rmem_auth_key_id(const u8 *key, u64 *id)
{
	struct kvec v = { .iov_base = RMEM_AUTH_LABEL_KEY_ID,
			  .iov_len = RMEM_AUTH_LABEL_LEN };
	u8 mac[RMEM_AUTH_MAC_LEN];
	int ret;

	ret = rmem_auth_derive(key, &v, 1, mac);
	if (!ret) {
		__le64 le;

		memcpy(&le, mac, sizeof(le));
		*id = le64_to_cpu(le);
	}
	memzero_explicit(mac, sizeof(mac));
	return ret;
}

static struct rmem_key **rmem_auth_key_slot(u64 id)
{
	unsigned int i;

	for (i = 0; i < RMEM_KEY_MAX; i++)
		if (rmem_keys[i] && rmem_keys[i]->id == id)
			return &rmem_keys[i];
	return NULL;
}

/**
 * rmem_auth_key_add() - install a cluster key
 * @key: RMEM_AUTH_KEY_LEN bytes (the caller wipes its copy)
 * @id: set to the key's id
 * @extack: error report
 *
 * Context: rmem_cfg_lock held; sleeps.
 * Return: 0, -EINVAL (all zero), -EEXIST, -ENOSPC (store full), -ENOMEM.
 */
int rmem_auth_key_add(const u8 *key, u64 *id, struct netlink_ext_ack *extack)
{
	struct rmem_key *k, **free_slot = NULL;
	unsigned int i;
	int ret;

	lockdep_assert_held(&rmem_cfg_lock);
	if (!memchr_inv(key, 0, RMEM_AUTH_KEY_LEN)) {
		NL_SET_ERR_MSG(extack,
			       "an all-zero key is not a key: generate one with 'rmemctl key generate FILE'");
		return -EINVAL;
	}
	ret = rmem_auth_key_id(key, id);
	if (ret) {
		NL_SET_ERR_MSG(extack,
			       "cannot compute the key id: no hmac(sha256) in this kernel?");
		return ret;
	}
	if (rmem_auth_key_slot(*id)) {
		NL_SET_ERR_MSG_FMT(extack, "key %016llx is installed already", *id);
		return -EEXIST;
	}
	for (i = 0; i < RMEM_KEY_MAX && !free_slot; i++)
		if (!rmem_keys[i])
			free_slot = &rmem_keys[i];
	if (!free_slot) {
		NL_SET_ERR_MSG(extack, "the key store is full (16 keys): delete one first");
		return -ENOSPC;
	}
	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	k->id = *id;
	memcpy(k->key, key, RMEM_AUTH_KEY_LEN);
	*free_slot = k;
	pr_info("key %016llx installed\n", k->id);
	return 0;
}

/**
 * rmem_auth_key_del() - delete a cluster key and wipe its bytes
 * @id: its id
 * @extack: error report
 *
 * Nodes added with the key keep their own copy and stay connected.
 *
 * Context: rmem_cfg_lock held.
 * Return: 0 or -ENOENT.
 */
int rmem_auth_key_del(u64 id, struct netlink_ext_ack *extack)
{
	struct rmem_key **slot;

	lockdep_assert_held(&rmem_cfg_lock);
	slot = rmem_auth_key_slot(id);
	if (!slot) {
		NL_SET_ERR_MSG_FMT(extack, "no key %016llx installed ('rmemctl key list')", id);
		return -ENOENT;
	}
	kfree_sensitive(*slot);
	*slot = NULL;
	pr_info("key %016llx deleted\n", id);
	return 0;
}

/**
 * rmem_auth_key_installed() - whether @key is a cluster key of the store
 * @key: RMEM_AUTH_KEY_LEN bytes
 *
 * A region key must not be one: the memory nodes hold the cluster keys.
 *
 * Context: rmem_cfg_lock held.
 * Return: true if it is.
 */
bool rmem_auth_key_installed(const u8 *key)
{
	unsigned int i;

	lockdep_assert_held(&rmem_cfg_lock);
	for (i = 0; i < RMEM_KEY_MAX; i++)
		if (rmem_keys[i] && !crypto_memneq(rmem_keys[i]->key, key, RMEM_AUTH_KEY_LEN))
			return true;
	return false;
}

/**
 * rmem_auth_key_nth() - the id of the @n-th key in the store (for dumps)
 * @n: index, from 0
 * @id: set to its id
 *
 * Context: rmem_cfg_lock held.
 * Return: false when there are at most @n keys.
 */
bool rmem_auth_key_nth(unsigned int n, u64 *id)
{
	unsigned int i;

	lockdep_assert_held(&rmem_cfg_lock);
	for (i = 0; i < RMEM_KEY_MAX; i++) {
		if (!rmem_keys[i])
			continue;
		if (!n--) {
			*id = rmem_keys[i]->id;
			return true;
		}
	}
	return false;
}

/**
 * rmem_auth_node_key() - the keyed HMAC transform a new node uses
 * @has_id: the caller names a key (@id); else the only key in the store
 * @id: the key's id; set to the one chosen
 * @extack: error report
 *
 * Context: rmem_cfg_lock held; sleeps (GFP_KERNEL).
 * Return: the transform (crypto_free_shash() frees it), or ERR_PTR with an
 * extack message: -ENOKEY (no key, or several and none named), -ENOENT
 * (no such key).
 */
struct crypto_shash *rmem_auth_node_key(bool has_id, u64 *id, struct netlink_ext_ack *extack)
{
	struct rmem_key *k = NULL, **slot;
	unsigned int i, nr = 0;

	lockdep_assert_held(&rmem_cfg_lock);
	if (has_id) {
		slot = rmem_auth_key_slot(*id);
		if (!slot) {
			NL_SET_ERR_MSG_FMT(extack,
					   "no key %016llx installed ('rmemctl key list' shows the keys)",
					   *id);
			return ERR_PTR(-ENOENT);
		}
		k = *slot;
	} else {
		for (i = 0; i < RMEM_KEY_MAX; i++) {
			if (rmem_keys[i]) {
				k = rmem_keys[i];
				nr++;
			}
		}
		if (!nr) {
			NL_SET_ERR_MSG(extack,
				       "no key: install the cluster key with 'rmemctl key add FILE', or add the node with 'auth none'");
			return ERR_PTR(-ENOKEY);
		}
		if (nr > 1) {
			NL_SET_ERR_MSG(extack,
				       "several keys installed: say which one with 'key ID' ('rmemctl key list')");
			return ERR_PTR(-ENOKEY);
		}
	}
	*id = k->id;
	return rmem_auth_tfm_new(k->key);
}

/**
 * rmem_auth_exit() - wipe and free every key (module unload)
 */
void rmem_auth_exit(void)
{
	unsigned int i;

	for (i = 0; i < RMEM_KEY_MAX; i++) {
		kfree_sensitive(rmem_keys[i]);
		rmem_keys[i] = NULL;
	}
}

/**
 * rmem_auth_session_tag() - how logs name a session
 * @session: the session id
 * @tag: 8 lowercase hex digits and a NUL: the first 4 bytes of SHA-256 of
 *	the id's 8 little-endian bytes (include/rmem-proto.h)
 *
 * A session id is never logged: knowing one is the first step of joining
 * the session. The tag lets the operator match our log with rmemd's.
 */
void rmem_auth_session_tag(u64 session, char tag[RMEM_SESSION_TAG_LEN])
{
	__le64 le = cpu_to_le64(session);
	u8 digest[SHA256_DIGEST_SIZE];

	sha256((const u8 *)&le, sizeof(le), digest);
	snprintf(tag, RMEM_SESSION_TAG_LEN, "%*phN", 4, digest);
}

/**
 * rmem_auth_start() - our RMEM_MSG_AUTH for a new connection
 * @node: an authenticated node (node->auth set)
 * @hs: this connection's exchange; its client nonce is drawn here
 * @msg: the AUTH payload to send
 */
void rmem_auth_start(struct rmem_node *node, struct rmem_auth_hs *hs, struct rmem_auth *msg)
{
	get_random_bytes(hs->nc, sizeof(hs->nc));
	memset(hs->ns, 0, sizeof(hs->ns));
	memset(msg, 0, sizeof(*msg));
	msg->key_id = cpu_to_le64(node->key_id);
	memcpy(msg->nonce, hs->nc, sizeof(msg->nonce));
}

/**
 * rmem_auth_finish() - check the node's answer to our AUTH
 * @node: the node
 * @hs: this connection's exchange; the server nonce is kept here
 * @rep: the AUTH reply
 *
 * Return: 0 when the node proved the key for our nonce; -ENOKEY (logged)
 * when it did not, or an error of the hash.
 */
int rmem_auth_finish(struct rmem_node *node, struct rmem_auth_hs *hs,
		     const struct rmem_auth_reply *rep)
{
	__le64 key_id = cpu_to_le64(node->key_id);
	struct kvec v[] = {
		{ .iov_base = RMEM_AUTH_LABEL_SERVER, .iov_len = RMEM_AUTH_LABEL_LEN },
		{ .iov_base = &key_id, .iov_len = sizeof(key_id) },
		{ .iov_base = hs->nc, .iov_len = sizeof(hs->nc) },
		{ .iov_base = (void *)rep->nonce, .iov_len = sizeof(rep->nonce) },
	};
	u8 mac[RMEM_AUTH_MAC_LEN];
	int ret;

	ret = rmem_auth_hmac(node->auth, v, ARRAY_SIZE(v), mac);
	if (ret) {
		rnode_err(node, "cannot compute the authentication mac: %d\n", ret);
		return ret;
	}
	if (crypto_memneq(mac, rep->mac, sizeof(mac))) {
		rnode_err(node, "node failed to prove the key (different key on the memory node?)\n");
		return -ENOKEY;
	}
	memcpy(hs->ns, rep->nonce, sizeof(hs->ns));
	return 0;
}

/**
 * rmem_auth_hello() - fill a HELLO, with its mac when authenticating
 * @node: the node
 * @hs: this connection's finished exchange, or NULL with auth none
 * @qid: the queue
 * @feature: RMEM_PROTO_FEAT_TCP or _RDMA
 * @hello: the HELLO payload
 *
 * Return: 0, or an error of the hash.
 */
int rmem_auth_hello(struct rmem_node *node, const struct rmem_auth_hs *hs, unsigned int qid,
		    u64 feature, struct rmem_hello *hello)
{
	__le64 key_id = cpu_to_le64(node->key_id);
	struct kvec v[] = {
		{ .iov_base = RMEM_AUTH_LABEL_CLIENT, .iov_len = RMEM_AUTH_LABEL_LEN },
		{ .iov_base = &key_id, .iov_len = sizeof(key_id) },
		{ .iov_base = hs ? (void *)hs->nc : NULL, .iov_len = RMEM_AUTH_NONCE_LEN },
		{ .iov_base = hs ? (void *)hs->ns : NULL, .iov_len = RMEM_AUTH_NONCE_LEN },
		{ .iov_base = hello, .iov_len = offsetof(struct rmem_hello, mac) },
	};

	memset(hello, 0, sizeof(*hello));
	/* Published regions when the node knows them: older ones ignore the bit. */
	hello->features = cpu_to_le64(feature | RMEM_PROTO_FEAT_PUBLISH |
				      (hs ? RMEM_PROTO_FEAT_AUTH : 0));
	hello->session = cpu_to_le64(node->session);
	hello->queue = cpu_to_le32(qid);
	hello->max_io = cpu_to_le32(RMEM_MSG_MAX_IO);
	hello->generation = cpu_to_le32(node->conn_gen);
	if (!hs)
		return 0;
	return rmem_auth_hmac(node->auth, v, ARRAY_SIZE(v), hello->mac);
}

/**
 * rmem_auth_cm_req() - the key id, nonce and mac of an rdma_cm connect request
 * @node: the node
 * @req: the request, magic to queue filled in
 *
 * With auth none the three stay zero.
 *
 * Return: 0, or an error of the hash.
 */
int rmem_auth_cm_req(struct rmem_node *node, struct rmem_rdma_cm_req *req)
{
	struct kvec v[] = {
		{ .iov_base = RMEM_AUTH_LABEL_RDMA_CM, .iov_len = RMEM_AUTH_LABEL_LEN },
		{ .iov_base = req, .iov_len = offsetof(struct rmem_rdma_cm_req, mac) },
	};
	u8 mac[RMEM_AUTH_MAC_LEN];
	int ret;

	memset(req->nonce, 0, sizeof(req->nonce));
	memset(req->mac, 0, sizeof(req->mac));
	req->key_id = 0;
	if (!node->auth)
		return 0;
	req->key_id = cpu_to_le64(node->key_id);
	get_random_bytes(req->nonce, sizeof(req->nonce));
	ret = rmem_auth_hmac(node->auth, v, ARRAY_SIZE(v), mac);
	if (!ret)
		memcpy(req->mac, mac, sizeof(req->mac));
	return ret;
}
