// SPDX-License-Identifier: GPL-2.0
/*
 * rmem: test-only fault injection points under /sys/kernel/debug/rmem/.
 *
 * Races in the store last a few hundred instructions; a test cannot hit
 * them reliably by load alone. Each file here widens one such window with a
 * busy wait, so that a regression test (selftests/blk_race_test.sh) makes
 * the interleaving happen every time (or, for bounce_reserve_only, makes
 * memory look exhausted). All are 0 (off) by default; only root
 * can write them. They are not an interface for users.
 *
 *   delay_write_done_ms  a write's reply has arrived, its pages are not yet
 *                        accounted as written (rmem_region_io_done)
 *   delay_submit_ms      a read or write has taken its extent's node and
 *                        not yet handed the request to it (rmem_region_rw)
 *   bounce_reserve_only  encrypted writes get bounce pages from the reserve
 *                        only, as when memory is exhausted (rmem-crypt.c)
 *   reattach_fail        the rebuild work cannot open a published region
 *                        again on a node back in a new session, as when
 *                        that node drops again at once (rmem-region.c);
 *                        a write that maps a slab there still can
 *   hold_resend          a write to be sent again waits in its work item
 *                        (rmem_region_write_work) until this is cleared:
 *                        rmem_write_wq running late, as under memory
 *                        pressure, while the rebuild goes on
 *   crypt_sync           pages are en- and decrypted with the synchronous
 *                        transform, as where the FPU may not be used
 *                        (rmem-crypt.c): both must agree on every byte
 *
 * And files to read: queues, how each live node's connections are set up
 * (for TCP: the socket options that keep swap-out out of reclaim); extents,
 * where each mapped extent's copies are ("REGION EXTENT NODE:SLAB ...", a
 * copy being filled by the rebuild marked with a '+').
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "rmem.h"

#define RMEM_FI_DELAY_MAX_MS	2000

u32 rmem_fi_write_done_ms;
u32 rmem_fi_submit_ms;
bool rmem_fi_bounce_reserve;
bool rmem_fi_reattach_fail;
bool rmem_fi_hold_resend;
bool rmem_fi_crypt_sync;

static struct dentry *rmem_debugfs_dir;

static int rmem_fi_delay_set(void *data, u64 val)
{
	if (val > RMEM_FI_DELAY_MAX_MS)
		return -EINVAL;
	WRITE_ONCE(*(u32 *)data, val);
	return 0;
}

static int rmem_fi_delay_get(void *data, u64 *val)
{
	*val = READ_ONCE(*(u32 *)data);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(rmem_fi_delay_fops, rmem_fi_delay_get, rmem_fi_delay_set, "%llu\n");

static int rmem_queues_show(struct seq_file *m, void *v)
{
	int ret = mutex_lock_interruptible(&rmem_cfg_lock);

	if (ret)
		return ret;
	rmem_node_debug_show(m);
	mutex_unlock(&rmem_cfg_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rmem_queues);

static int rmem_extents_show(struct seq_file *m, void *v)
{
	int ret = mutex_lock_interruptible(&rmem_cfg_lock);

	if (ret)
		return ret;
	rmem_region_debug_show(m);
	mutex_unlock(&rmem_cfg_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rmem_extents);

/**
 * rmem_debugfs_init() - create /sys/kernel/debug/rmem/
 *
 * debugfs may be missing or fail; the module works without it, so nothing
 * here is an error.
 */
void rmem_debugfs_init(void)
{
	rmem_debugfs_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file_unsafe("delay_write_done_ms", 0600, rmem_debugfs_dir,
				   &rmem_fi_write_done_ms, &rmem_fi_delay_fops);
	debugfs_create_file_unsafe("delay_submit_ms", 0600, rmem_debugfs_dir,
				   &rmem_fi_submit_ms, &rmem_fi_delay_fops);
	debugfs_create_bool("bounce_reserve_only", 0600, rmem_debugfs_dir,
			    &rmem_fi_bounce_reserve);
	debugfs_create_bool("reattach_fail", 0600, rmem_debugfs_dir, &rmem_fi_reattach_fail);
	debugfs_create_bool("hold_resend", 0600, rmem_debugfs_dir, &rmem_fi_hold_resend);
	debugfs_create_bool("crypt_sync", 0600, rmem_debugfs_dir, &rmem_fi_crypt_sync);
	debugfs_create_file("queues", 0400, rmem_debugfs_dir, NULL, &rmem_queues_fops);
	debugfs_create_file("extents", 0400, rmem_debugfs_dir, NULL, &rmem_extents_fops);
}

/**
 * rmem_debugfs_exit() - remove /sys/kernel/debug/rmem/
 */
void rmem_debugfs_exit(void)
{
	debugfs_remove_recursive(rmem_debugfs_dir);
	rmem_debugfs_dir = NULL;
}
