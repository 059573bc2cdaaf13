// SPDX-License-Identifier: GPL-2.0
/*
 * rmem: sysfs. The same numbers rmemctl reads over generic netlink, one
 * value per file, for scripts, udev rules and monitoring agents:
 *
 *   /sys/block/rmemblkN/rmem/      a block region (attribute group of the disk)
 *   /sys/class/rmem/rmemN/rmem/    an mmap region (attribute group of the device)
 *   /sys/kernel/rmem/nodes/ID/     a memory node (a kobject per node)
 *
 * Every attribute is named after its key in `rmemctl -j` and documented in
 * Documentation/ABI/testing/sysfs-*-rmem. All are read-only except a node's
 * timeout_ms, which is safe to change at run time: it is read each time
 * the node's dead_work or a connect attempt checks how long the node has
 * been down (rmem_node_check_dead()).
 *
 * Lifetimes: a region's group goes away with its device (del_gendisk,
 * cdev_device_del), a node's kobject with the node (rmem_node_destroy),
 * both before the object is freed; sysfs waits for readers in show() to
 * leave before removal returns, so show() never sees a freed object.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "rmem.h"

static const char *const rmem_transport_names[] = {
	[RMEM_TRANSPORT_AUTO] = "auto",
	[RMEM_TRANSPORT_TCP] = "tcp",
	[RMEM_TRANSPORT_RDMA] = "rdma",
};

static const char *const rmem_node_state_names[] = {
	[RMEM_NODE_CONNECTING] = "connecting",
	[RMEM_NODE_LIVE] = "live",
	[RMEM_NODE_RECONNECTING] = "reconnecting",
	[RMEM_NODE_DEAD] = "dead",
	[RMEM_NODE_DELETING] = "deleting",
};

/**
 * rmem_transport_name() - the name rmemctl uses for a transport
 * @t: enum rmem_transport
 *
 * Return: "tcp", "rdma", "auto" or "?".
 */
const char *rmem_transport_name(enum rmem_transport t)
{
	return (unsigned int)t < ARRAY_SIZE(rmem_transport_names) ?
	       rmem_transport_names[t] : "?";
}

/**
 * rmem_node_state_name() - the name rmemctl uses for a node state
 * @s: enum rmem_node_state
 *
 * Return: "live", "dead", ... or "?".
 */
const char *rmem_node_state_name(enum rmem_node_state s)
{
	return (unsigned int)s < ARRAY_SIZE(rmem_node_state_names) ?
	       rmem_node_state_names[s] : "?";
}

/* ---- regions: a group named "rmem" on the region's device ---- */

static struct rmem_region *rmem_dev_region(struct device *dev)
{
	return dev_get_drvdata(dev);
}

#define RMEM_REGION_ATTR(field, fmt, expr)					\
static ssize_t field##_show(struct device *dev, struct device_attribute *attr,	\
			    char *buf)						\
{										\
	struct rmem_region *r = rmem_dev_region(dev);				\
										\
	return sysfs_emit(buf, fmt "\n", expr);					\
}										\
static DEVICE_ATTR_RO(field)

RMEM_REGION_ATTR(name, "%s", r->name);
RMEM_REGION_ATTR(id, "%u", r->id);
RMEM_REGION_ATTR(type, "%s", r->type == RMEM_REGION_MMAP ? "mmap" : "block");
RMEM_REGION_ATTR(size, "%llu", r->size);
RMEM_REGION_ATTR(slab_size, "%llu", r->slab_size);
RMEM_REGION_ATTR(slabs, "%d", atomic_read(&r->slabs));
RMEM_REGION_ATTR(openers, "%u", rmem_region_openers(r));
RMEM_REGION_ATTR(replicas, "%u", r->replicas);
RMEM_REGION_ATTR(prealloc, "%d", r->prealloc);
RMEM_REGION_ATTR(encrypt, "%d", !!r->crypt);
/* The crypto API driver that en- and decrypts its pages (rmem-crypt.c). */
RMEM_REGION_ATTR(cipher, "%s", r->crypt ? rmem_crypt_driver(r->crypt) : "none");
/* The words rmemctl region show prints. */
RMEM_REGION_ATTR(published, "%s", r->attached ? "attached" : READ_ONCE(r->sealed) ? "sealed" :
		 r->publish ? "yes" : "no");

/* Counters: an atomic64_t of struct rmem_region, found by offset. */
struct rmem_region_attr {
	struct device_attribute dattr;
	size_t off;
};

static ssize_t rmem_region_stat_show(struct device *dev, struct device_attribute *attr,
				     char *buf)
{
	const struct rmem_region_attr *ra = container_of(attr, struct rmem_region_attr, dattr);
	atomic64_t *v = (atomic64_t *)((char *)rmem_dev_region(dev) + ra->off);

	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(v));
}

#define RMEM_REGION_STAT(field)							\
static struct rmem_region_attr rmem_region_attr_##field = {			\
	.dattr = {								\
		.attr = { .name = #field, .mode = 0444 },			\
		.show = rmem_region_stat_show,					\
	},									\
	.off = offsetof(struct rmem_region, field),				\
}

RMEM_REGION_STAT(reads);
RMEM_REGION_STAT(writes);
RMEM_REGION_STAT(read_bytes);
RMEM_REGION_STAT(write_bytes);
RMEM_REGION_STAT(discards);
RMEM_REGION_STAT(errors);
RMEM_REGION_STAT(csum_errors);
RMEM_REGION_STAT(same_filled);
RMEM_REGION_STAT(rebuilds);
RMEM_REGION_STAT(rebuild_bytes);
RMEM_REGION_STAT(dropped);

/* Where the copies are: one walk of the extents each. */
#define RMEM_REGION_USAGE(field, fmt, expr)					\
static ssize_t field##_show(struct device *dev, struct device_attribute *attr,	\
			    char *buf)						\
{										\
	struct rmem_region_usage u;						\
										\
	rmem_region_usage(rmem_dev_region(dev), &u);				\
	return sysfs_emit(buf, fmt "\n", expr);					\
}										\
static DEVICE_ATTR_RO(field)

RMEM_REGION_USAGE(nodes, "%u", u.nr_nodes);
RMEM_REGION_USAGE(allocated, "%llu", u.allocated);
RMEM_REGION_USAGE(degraded, "%u", u.degraded);

/* An mmap region's page cache (rmem-mmap.c): a u64 of struct rmem_mmap_stats. */
static ssize_t rmem_region_mmap_show(struct device *dev, struct device_attribute *attr,
				     char *buf)
{
	const struct rmem_region_attr *ra = container_of(attr, struct rmem_region_attr, dattr);
	struct rmem_mmap_stats st;

	rmem_mmap_stats_get(rmem_dev_region(dev), &st);
	return sysfs_emit(buf, "%llu\n", *(u64 *)((char *)&st + ra->off));
}

#define RMEM_REGION_MMAP(field)							\
static struct rmem_region_attr rmem_region_attr_##field = {			\
	.dattr = {								\
		.attr = { .name = #field, .mode = 0444 },			\
		.show = rmem_region_mmap_show,					\
	},									\
	.off = offsetof(struct rmem_mmap_stats, field),				\
}

RMEM_REGION_MMAP(chunk_size);
RMEM_REGION_MMAP(cache_size);
RMEM_REGION_MMAP(cached);
RMEM_REGION_MMAP(faults);
RMEM_REGION_MMAP(fetches);
RMEM_REGION_MMAP(fetch_errors);
RMEM_REGION_MMAP(evictions);
RMEM_REGION_MMAP(writebacks);
RMEM_REGION_MMAP(writeback_errors);
RMEM_REGION_MMAP(hot);
RMEM_REGION_MMAP(pmd_maps);

static struct attribute *rmem_region_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_id.attr,
	&dev_attr_type.attr,
	&dev_attr_size.attr,
	&dev_attr_slab_size.attr,
	&dev_attr_slabs.attr,
	&dev_attr_nodes.attr,
	&dev_attr_openers.attr,
	&dev_attr_replicas.attr,
	&dev_attr_prealloc.attr,
	&dev_attr_encrypt.attr,
	&dev_attr_cipher.attr,
	&dev_attr_published.attr,
	&rmem_region_attr_reads.dattr.attr,
	&rmem_region_attr_writes.dattr.attr,
	&rmem_region_attr_read_bytes.dattr.attr,
	&rmem_region_attr_write_bytes.dattr.attr,
	&rmem_region_attr_discards.dattr.attr,
	&rmem_region_attr_errors.dattr.attr,
	&rmem_region_attr_csum_errors.dattr.attr,
	&rmem_region_attr_same_filled.dattr.attr,
	&dev_attr_allocated.attr,
	&dev_attr_degraded.attr,
	&rmem_region_attr_rebuilds.dattr.attr,
	&rmem_region_attr_rebuild_bytes.dattr.attr,
	&rmem_region_attr_dropped.dattr.attr,
	/* mmap regions only, from here (rmem_region_attr_visible) */
	&rmem_region_attr_chunk_size.dattr.attr,
	&rmem_region_attr_cache_size.dattr.attr,
	&rmem_region_attr_cached.dattr.attr,
	&rmem_region_attr_faults.dattr.attr,
	&rmem_region_attr_fetches.dattr.attr,
	&rmem_region_attr_fetch_errors.dattr.attr,
	&rmem_region_attr_evictions.dattr.attr,
	&rmem_region_attr_writebacks.dattr.attr,
	&rmem_region_attr_writeback_errors.dattr.attr,
	&rmem_region_attr_hot.dattr.attr,
	&rmem_region_attr_pmd_maps.dattr.attr,
	NULL
};

static umode_t rmem_region_attr_visible(struct kobject *kobj, struct attribute *a, int n)
{
	struct rmem_region *r = rmem_dev_region(kobj_to_dev(kobj));
	int i;

	for (i = 0; rmem_region_attrs[i] != &rmem_region_attr_chunk_size.dattr.attr; i++)
		;
	return n < i || r->type == RMEM_REGION_MMAP ? a->mode : 0;
}

static const struct attribute_group rmem_region_group = {
	.name = "rmem",
	.attrs = rmem_region_attrs,
	.is_visible = rmem_region_attr_visible,
};

/*
 * The front ends hang these on the device they create, after
 * dev_set_drvdata(dev, region): sysfs creates them before the device's
 * "add" uevent, so udev rules can match on rmem/name.
 */
const struct attribute_group *rmem_region_groups[] = {
	&rmem_region_group,
	NULL
};

/* ---- nodes: /sys/kernel/rmem/nodes/ID/ ---- */

static struct kobject *rmem_kobj;
static struct kobject *rmem_nodes_kobj;

struct rmem_node_kobj {
	struct kobject kobj;
	struct rmem_node *node;
};

static struct rmem_node *rmem_kobj_node(struct kobject *kobj)
{
	return container_of(kobj, struct rmem_node_kobj, kobj)->node;
}

#define RMEM_NODE_ATTR(field, fmt, expr)					\
static ssize_t node_##field##_show(struct kobject *kobj,			\
				   struct kobj_attribute *attr, char *buf)	\
{										\
	struct rmem_node *n = rmem_kobj_node(kobj);				\
										\
	return sysfs_emit(buf, fmt "\n", expr);					\
}										\
static struct kobj_attribute rmem_node_attr_##field =				\
	__ATTR(field, 0444, node_##field##_show, NULL)

/* Counters: an atomic64_t of struct rmem_node, found by offset. */
struct rmem_node_attr {
	struct kobj_attribute kattr;
	size_t off;
};

static ssize_t rmem_node_stat_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	const struct rmem_node_attr *na = container_of(attr, struct rmem_node_attr, kattr);
	atomic64_t *v = (atomic64_t *)((char *)rmem_kobj_node(kobj) + na->off);

	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(v));
}

#define RMEM_NODE_STAT(field)							\
static struct rmem_node_attr rmem_node_attr_##field = {				\
	.kattr = {								\
		.attr = { .name = #field, .mode = 0444 },			\
		.show = rmem_node_stat_show,					\
	},									\
	.off = offsetof(struct rmem_node, field),				\
}

static u16 rmem_node_port(const struct rmem_node *n)
{
	if (n->addr.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&n->addr)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&n->addr)->sin_port);
}

static const char *rmem_node_drain_name(struct rmem_node *n)
{
	if (!READ_ONCE(n->draining))
		return "no";
	return atomic_read(&n->slabs_used) ? "draining" : "drained";
}

RMEM_NODE_ATTR(id, "%u", n->id);
RMEM_NODE_ATTR(address, "%pISc", &n->addr);
RMEM_NODE_ATTR(port, "%u", rmem_node_port(n));
RMEM_NODE_ATTR(transport, "%s", rmem_transport_name(n->want));
RMEM_NODE_ATTR(transport_used, "%s", rmem_transport_name(READ_ONCE(n->ops)->type));
RMEM_NODE_ATTR(state, "%s", rmem_node_state_name(rmem_node_state_get(n)));
RMEM_NODE_ATTR(drain, "%s", rmem_node_drain_name(n));
RMEM_NODE_ATTR(auth, "%s", n->auth ? "key" : "none");
RMEM_NODE_ATTR(capacity, "%llu", n->slab_size * n->slabs_total);
RMEM_NODE_ATTR(free, "%llu", n->slab_size * READ_ONCE(n->slabs_free));
RMEM_NODE_ATTR(slab_size, "%llu", n->slab_size);
RMEM_NODE_ATTR(slabs_used, "%d", atomic_read(&n->slabs_used));
RMEM_NODE_ATTR(queues, "%u", n->nr_queues);
RMEM_NODE_STAT(errors);
RMEM_NODE_STAT(reconnects);
RMEM_NODE_STAT(read_bytes);
RMEM_NODE_STAT(write_bytes);
RMEM_NODE_ATTR(latency_ns, "%lld", (long long)atomic64_read(&n->srtt_ns));

/* Empty with authentication off, as rmemctl -j gives null. */
static ssize_t node_key_id_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct rmem_node *n = rmem_kobj_node(kobj);

	if (!n->auth)
		return sysfs_emit(buf, "\n");
	return sysfs_emit(buf, "%016llx\n", n->key_id);
}

static struct kobj_attribute rmem_node_attr_key_id = __ATTR(key_id, 0444, node_key_id_show, NULL);

static ssize_t node_timeout_ms_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(rmem_kobj_node(kobj)->timeout_ms));
}

static ssize_t node_timeout_ms_store(struct kobject *kobj, struct kobj_attribute *attr,
				     const char *buf, size_t count)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(buf, 10, &v);
	if (ret)
		return ret;
	if (v < RMEM_NODE_TIMEOUT_MIN_MS || v > RMEM_NODE_TIMEOUT_MAX_MS)
		return -ERANGE;
	WRITE_ONCE(rmem_kobj_node(kobj)->timeout_ms, v);
	return count;
}

static struct kobj_attribute rmem_node_attr_timeout_ms =
	__ATTR(timeout_ms, 0644, node_timeout_ms_show, node_timeout_ms_store);

static struct attribute *rmem_node_attrs[] = {
	&rmem_node_attr_id.attr,
	&rmem_node_attr_address.attr,
	&rmem_node_attr_port.attr,
	&rmem_node_attr_transport.attr,
	&rmem_node_attr_transport_used.attr,
	&rmem_node_attr_state.attr,
	&rmem_node_attr_drain.attr,
	&rmem_node_attr_auth.attr,
	&rmem_node_attr_key_id.attr,
	&rmem_node_attr_timeout_ms.attr,
	&rmem_node_attr_capacity.attr,
	&rmem_node_attr_free.attr,
	&rmem_node_attr_slab_size.attr,
	&rmem_node_attr_slabs_used.attr,
	&rmem_node_attr_latency_ns.attr,
	&rmem_node_attr_errors.kattr.attr,
	&rmem_node_attr_reconnects.kattr.attr,
	&rmem_node_attr_queues.attr,
	&rmem_node_attr_read_bytes.kattr.attr,
	&rmem_node_attr_write_bytes.kattr.attr,
	NULL
};
ATTRIBUTE_GROUPS(rmem_node);

static void rmem_node_kobj_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct rmem_node_kobj, kobj));
}

static const struct kobj_type rmem_node_ktype = {
	.release = rmem_node_kobj_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = rmem_node_groups,
};

/**
 * rmem_sysfs_node_add() - create /sys/kernel/rmem/nodes/ID/
 * @node: a node with its id set
 *
 * Context: rmem_cfg_lock held; sleeps.
 * Return: 0 or -errno.
 */
int rmem_sysfs_node_add(struct rmem_node *node)
{
	struct rmem_node_kobj *nk;
	int ret;

	lockdep_assert_held(&rmem_cfg_lock);
	nk = kzalloc(sizeof(*nk), GFP_KERNEL);
	if (!nk)
		return -ENOMEM;
	nk->node = node;
	ret = kobject_init_and_add(&nk->kobj, &rmem_node_ktype, rmem_nodes_kobj, "%u", node->id);
	if (ret) {
		kobject_put(&nk->kobj);
		return ret;
	}
	node->kobj = &nk->kobj;
	kobject_uevent(&nk->kobj, KOBJ_ADD);
	return 0;
}

/**
 * rmem_sysfs_node_del() - remove a node's directory
 * @node: the node; still valid, as it is until this returns
 *
 * Context: sleeps (waits for readers of its attributes).
 */
void rmem_sysfs_node_del(struct rmem_node *node)
{
	struct kobject *kobj = node->kobj;

	if (!kobj)
		return;
	node->kobj = NULL;
	kobject_del(kobj);
	kobject_put(kobj);
}

/**
 * rmem_sysfs_init() - create /sys/kernel/rmem/nodes/
 *
 * Return: 0 or -ENOMEM.
 */
int __init rmem_sysfs_init(void)
{
	rmem_kobj = kobject_create_and_add(KBUILD_MODNAME, kernel_kobj);
	if (!rmem_kobj)
		return -ENOMEM;
	rmem_nodes_kobj = kobject_create_and_add("nodes", rmem_kobj);
	if (!rmem_nodes_kobj) {
		kobject_put(rmem_kobj);
		return -ENOMEM;
	}
	return 0;
}

/**
 * rmem_sysfs_exit() - remove /sys/kernel/rmem/
 *
 * Context: every node deleted.
 */
void rmem_sysfs_exit(void)
{
	kobject_put(rmem_nodes_kobj);
	kobject_put(rmem_kobj);
}
