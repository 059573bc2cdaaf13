// SPDX-License-Identifier: GPL-2.0
/*
 * rmem: module entry, parameters and the shared work queue.
 *
 * Subsystems start in order (work queues, node cache, debugfs, block major,
 * mmap device, RDMA ib_client, netlink) and stop in exact reverse; regions go
 * before nodes because regions hold node slabs, and nodes before the
 * ib_client.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/log2.h>
#include <linux/sysfs.h>
#include <net/genetlink.h>

#include "rmem.h"

#define CREATE_TRACE_POINTS
#include "rmem-trace.h"

/*
 * Every parameter is range-checked when it is set, at load time and through
 * /sys/module/rmem/parameters/ alike: a bad value is refused with -EINVAL
 * and a log line, and the old value stays.
 */
struct rmem_param_range {
	unsigned int *val;
	unsigned int min;
	unsigned int max;
	bool pow2;		/* also a power of two (0 allowed if min is 0) */
};

static int rmem_param_range_set(const char *s, const struct kernel_param *kp)
{
	const struct rmem_param_range *pr = kp->arg;
	unsigned int v;

	/* Not a number, negative, or beyond 32 bits: all EINVAL. */
	if (kstrtouint(s, 0, &v)) {
		pr_err("%s: '%.*s' is not a number from %u to %u\n", kp->name,
		       (int)strcspn(s, "\n"), s, pr->min, pr->max);
		return -EINVAL;
	}
	if (v < pr->min || v > pr->max || (pr->pow2 && v && !is_power_of_2(v))) {
		pr_err("%s=%u: must be %sfrom %u to %u\n", kp->name, v,
		       pr->pow2 ? "a power of two " : "", pr->min, pr->max);
		return -EINVAL;
	}
	WRITE_ONCE(*pr->val, v);
	return 0;
}

static int rmem_param_range_get(char *buf, const struct kernel_param *kp)
{
	const struct rmem_param_range *pr = kp->arg;

	return sysfs_emit(buf, "%u\n", READ_ONCE(*pr->val));
}

static const struct kernel_param_ops rmem_param_range_ops = {
	.set = rmem_param_range_set,
	.get = rmem_param_range_get,
};

#define rmem_param(name, var, lo, hi, p2, perm)					\
	static struct rmem_param_range rmem_param_##name = {			\
		.val = &(var), .min = (lo), .max = (hi), .pow2 = (p2),		\
	};									\
	module_param_cb(name, &rmem_param_range_ops, &rmem_param_##name, perm)

unsigned int rmem_slab_mb = 64;
rmem_param(slab_mb, rmem_slab_mb, 1, 4096, true, 0444);
MODULE_PARM_DESC(slab_mb, "Slab size in MiB, a power of two from 1 to 4096; memory nodes must use the same (default 64)");

unsigned int rmem_nr_queues;
rmem_param(nr_queues, rmem_nr_queues, 0, 64, false, 0444);
MODULE_PARM_DESC(nr_queues, "Connections per node and block hw queues, 1 to 64 (default 0: online CPUs, max 8)");

unsigned int rmem_node_timeout_ms = 30000;
rmem_param(node_timeout_ms, rmem_node_timeout_ms, RMEM_NODE_TIMEOUT_MIN_MS,
	   RMEM_NODE_TIMEOUT_MAX_MS, false, 0644);
MODULE_PARM_DESC(node_timeout_ms, "Default time a node may stay unreachable before its I/O fails (ms, 100 to 3600000)");

unsigned int rmem_connect_timeout_ms = 10000;
rmem_param(connect_timeout_ms, rmem_connect_timeout_ms, 100, 600000, false, 0644);
MODULE_PARM_DESC(connect_timeout_ms, "Timeout of one connection attempt, hello included (ms, 100 to 600000)");

unsigned int rmem_heartbeat_ms = 2000;
rmem_param(heartbeat_ms, rmem_heartbeat_ms, 0, 600000, false, 0644);
MODULE_PARM_DESC(heartbeat_ms, "Heartbeat interval; 5 missed beats drop the connection (ms, up to 600000; 0 = off, until set again)");

unsigned int rmem_io_timeout_s = 300;
rmem_param(io_timeout_s, rmem_io_timeout_s, 1, 3600, false, 0444);
MODULE_PARM_DESC(io_timeout_s, "Block request timeout before the connection is reset (s, 1 to 3600)");

unsigned int rmem_replicas = 1;
rmem_param(replicas, rmem_replicas, 1, RMEM_MAX_REPLICAS, false, 0644);
MODULE_PARM_DESC(replicas, "Copies of each extent when region add does not say, 1 to 3 (default 1: a second copy doubles the remote memory used and needs a second node)");

bool rmem_encrypt = true;
module_param_named(encrypt, rmem_encrypt, bool, 0644);
MODULE_PARM_DESC(encrypt, "Encrypt a region's pages (xts(aes), a key per region) when region add does not say (default on: a memory node then never holds plaintext)");

bool rmem_same_filled = true;
module_param_named(same_filled, rmem_same_filled, bool, 0644);
MODULE_PARM_DESC(same_filled, "Keep a written page that is one repeated word on the compute node instead of sending it (default on)");

bool rmem_tcp_zerocopy;
module_param_named(tcp_zerocopy, rmem_tcp_zerocopy, bool, 0644);
MODULE_PARM_DESC(tcp_zerocopy, "Send write data over TCP without copying it, where the pages allow (default off: under test)");

unsigned int rmem_fault_hold_us = 5000;
rmem_param(fault_hold_us, rmem_fault_hold_us, 0, 1000000, false, 0644);
MODULE_PARM_DESC(fault_hold_us, "How long an mmap fault waits for its chunk's fetch before it lets go of the process's mmap lock and is retried (us, up to 1000000, rounded up to a tick; 0 = at once; default 5000)");

unsigned int rmem_rebuild_mbps = 512;
rmem_param(rebuild_mbps, rmem_rebuild_mbps, 0, 100000, false, 0644);
MODULE_PARM_DESC(rebuild_mbps, "Rebuild and drain copy rate per region in MB/s, 0 for no limit (default 512)");

struct workqueue_struct *rmem_wq;
struct workqueue_struct *rmem_io_wq;
struct workqueue_struct *rmem_tx_wq;
struct workqueue_struct *rmem_hb_wq;
/* Serialises configuration: the node and region tables. */
DEFINE_MUTEX(rmem_cfg_lock);
/*
 * Readers: a slab being allocated and recorded in its extent, or detached
 * and freed. Writer: slab reconciliation (rmem-node.c), which must see no
 * slab between the node's books and ours. Taken after rmem_cfg_lock and a
 * region's alloc_lock.
 */
DECLARE_RWSEM(rmem_slab_sem);

static int __init rmem_init(void)
{
	int ret;

	if (!rmem_nr_queues)
		rmem_nr_queues = min(num_online_cpus(), 8U);

	/* Reconnects and receive work run while the system swaps to us. */
	rmem_wq = alloc_workqueue("rmem", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!rmem_wq)
		return -ENOMEM;
	/* Short per-event work (TCP receive): bound, on the CPU that got the data. */
	rmem_io_wq = alloc_workqueue("rmem_io", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	/*
	 * Work that can block in a send gets a queue of its own: under memory
	 * pressure a WQ_MEM_RECLAIM queue may run on its rescuer alone, one
	 * item at a time. A send a signal interrupted, finished by tx_work,
	 * may wait for the peer to read, which may wait for our receive work;
	 * a PING waits behind data, and the heartbeat that counts the missed
	 * beats must not wait behind it.
	 */
	rmem_tx_wq = alloc_workqueue("rmem_tx", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	rmem_hb_wq = alloc_workqueue("rmem_hb", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!rmem_io_wq || !rmem_tx_wq || !rmem_hb_wq) {
		ret = -ENOMEM;
		goto out_destroy_wq;
	}

	ret = rmem_region_init();
	if (ret)
		goto out_destroy_wq;
	ret = rmem_node_init();
	if (ret)
		goto out_region_exit;
	ret = rmem_sysfs_init();
	if (ret)
		goto out_node_exit;
	rmem_debugfs_init();
	ret = rmem_blk_init();
	if (ret)
		goto out_debugfs_exit;

	ret = rmem_mmap_init();
	if (ret)
		goto out_blk_exit;

	/* Before netlink: nodes may use RDMA as soon as they can be added. */
	ret = rmem_rdma_init();
	if (ret)
		goto out_mmap_exit;

	ret = rmem_genl_init();
	if (ret)
		goto out_rdma_exit;

	pr_info("version %s loaded (slab %u MiB, %u queues per node)\n",
		RMEM_VERSION, rmem_slab_mb, rmem_nr_queues);
	return 0;

out_rdma_exit:
	rmem_rdma_exit();
out_mmap_exit:
	rmem_mmap_exit();
out_blk_exit:
	rmem_blk_exit();
out_debugfs_exit:
	rmem_debugfs_exit();
	rmem_sysfs_exit();
out_node_exit:
	rmem_node_exit();
out_region_exit:
	rmem_region_exit();
out_destroy_wq:
	if (rmem_hb_wq)
		destroy_workqueue(rmem_hb_wq);
	if (rmem_tx_wq)
		destroy_workqueue(rmem_tx_wq);
	if (rmem_io_wq)
		destroy_workqueue(rmem_io_wq);
	destroy_workqueue(rmem_wq);
	return ret;
}

static void __exit rmem_exit(void)
{
	rmem_genl_exit();
	rmem_region_del_all();
	rmem_node_del_all();
	rmem_auth_exit();
	rmem_rdma_exit();
	rmem_mmap_exit();
	rmem_blk_exit();
	rmem_debugfs_exit();
	rmem_sysfs_exit();
	rmem_node_exit();
	rmem_region_exit();
	destroy_workqueue(rmem_hb_wq);
	destroy_workqueue(rmem_tx_wq);
	destroy_workqueue(rmem_io_wq);
	destroy_workqueue(rmem_wq);
	pr_info("unloaded\n");
}

module_init(rmem_init);
module_exit(rmem_exit);

MODULE_AUTHOR("The rmem developers");
MODULE_DESCRIPTION("Remote memory: swap and mmap onto other machines' DRAM over RDMA or TCP");
MODULE_LICENSE("GPL");
/* crc32c by the crypto API (rmem-region.c): the CPU-accelerated one if there is. */
MODULE_SOFTDEP("pre: crc32c");
MODULE_VERSION(RMEM_VERSION);
MODULE_ALIAS_GENL_FAMILY(RMEM_GENL_NAME);
