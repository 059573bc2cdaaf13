// SPDX-License-Identifier: GPL-2.0
/*
 * rmem: module entry, parameters and the shared work queue.
 *
 * Subsystems start in order (work queue, block major, RDMA ib_client,
 * netlink) and stop in exact reverse; regions go before nodes because
 * regions hold node slabs, and nodes before the ib_client.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/log2.h>
#include <net/genetlink.h>

#include "rmem.h"

unsigned int rmem_slab_mb = 64;
module_param_named(slab_mb, rmem_slab_mb, uint, 0444);
MODULE_PARM_DESC(slab_mb, "Slab size in MiB; memory nodes must use the same (default 64)");

unsigned int rmem_nr_queues;
module_param_named(nr_queues, rmem_nr_queues, uint, 0444);
MODULE_PARM_DESC(nr_queues, "Connections per node and block hw queues (default: online CPUs, max 8)");

unsigned int rmem_node_timeout_ms = 30000;
module_param_named(node_timeout_ms, rmem_node_timeout_ms, uint, 0644);
MODULE_PARM_DESC(node_timeout_ms, "Default time a node may stay unreachable before its I/O fails (ms)");

unsigned int rmem_connect_timeout_ms = 10000;
module_param_named(connect_timeout_ms, rmem_connect_timeout_ms, uint, 0644);
MODULE_PARM_DESC(connect_timeout_ms, "Timeout of one connection attempt, hello included (ms)");

unsigned int rmem_heartbeat_ms = 2000;
module_param_named(heartbeat_ms, rmem_heartbeat_ms, uint, 0644);
MODULE_PARM_DESC(heartbeat_ms, "Heartbeat interval; 5 missed beats drop the connection (ms, 0 = off)");

unsigned int rmem_io_timeout_s = 300;
module_param_named(io_timeout_s, rmem_io_timeout_s, uint, 0444);
MODULE_PARM_DESC(io_timeout_s, "Block request timeout before the connection is reset (s)");

struct workqueue_struct *rmem_wq;
struct workqueue_struct *rmem_io_wq;
/* Serialises configuration: the node and region tables. */
DEFINE_MUTEX(rmem_cfg_lock);

static int __init rmem_init(void)
{
	int ret;

	if (!rmem_slab_mb || rmem_slab_mb > 4096 || !is_power_of_2(rmem_slab_mb)) {
		pr_err("slab_mb=%u: must be a power of two from 1 to 4096\n", rmem_slab_mb);
		return -EINVAL;
	}
	if (!rmem_nr_queues)
		rmem_nr_queues = min(num_online_cpus(), 8U);
	rmem_nr_queues = clamp(rmem_nr_queues, 1U, 64U);

	/* Reconnects and receive work run while the system swaps to us. */
	rmem_wq = alloc_workqueue("rmem", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!rmem_wq)
		return -ENOMEM;
	/* Short per-event work (TCP receive): bound, on the CPU that got the data. */
	rmem_io_wq = alloc_workqueue("rmem_io", WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (!rmem_io_wq) {
		ret = -ENOMEM;
		goto out_destroy_wq;
	}

	ret = rmem_blk_init();
	if (ret)
		goto out_destroy_wq;

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
out_destroy_wq:
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
	rmem_rdma_exit();
	rmem_mmap_exit();
	rmem_blk_exit();
	destroy_workqueue(rmem_io_wq);
	destroy_workqueue(rmem_wq);
	pr_info("unloaded\n");
}

module_init(rmem_init);
module_exit(rmem_exit);

MODULE_AUTHOR("The rmem developers");
MODULE_DESCRIPTION("Remote memory: swap and mmap onto other machines' DRAM over RDMA or TCP");
MODULE_LICENSE("GPL");
MODULE_VERSION(RMEM_VERSION);
MODULE_ALIAS_GENL_FAMILY(RMEM_GENL_NAME);
