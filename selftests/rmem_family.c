// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_family - is a generic netlink family registered?
 *
 *   rmem_family [--resolve] [NAME]     (default NAME: "rmem")
 *
 * Prints the family id and exits 0 when it is registered, exits 1 when it is
 * not, 2 on any other error. Used by the shell tests, which must not depend
 * on rmemctl to tell whether the module's family is there.
 *
 * By default it lists the registered families (a CTRL_CMD_GETFAMILY dump),
 * which never loads a module. --resolve asks for the family by name instead,
 * as rmemctl does: the kernel then autoloads a module that declares
 * MODULE_ALIAS_GENL_FAMILY(NAME).
 */
#include <stdio.h>
#include <string.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>

#include "uapi/rmem.h"

int main(int argc, char **argv)
{
	const char *name = RMEM_GENL_NAME;
	struct nl_cache *cache = NULL;
	struct genl_family *fam;
	int resolve = 0, id = -1, i;
	struct nl_sock *sk;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--resolve"))
			resolve = 1;
		else
			name = argv[i];
	}
	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk)) {
		fprintf(stderr, "rmem_family: cannot open a generic netlink socket\n");
		return 2;
	}
	if (resolve) {
		id = genl_ctrl_resolve(sk, name);
	} else {
		if (genl_ctrl_alloc_cache(sk, &cache)) {
			fprintf(stderr, "rmem_family: cannot list the families\n");
			return 2;
		}
		fam = genl_ctrl_search_by_name(cache, name);
		if (fam) {
			id = genl_family_get_id(fam);
			genl_family_put(fam);
		}
		nl_cache_free(cache);
	}
	nl_socket_free(sk);
	if (id < 0) {
		fprintf(stderr, "rmem_family: family \"%s\" not registered\n", name);
		return 1;
	}
	printf("%d\n", id);
	return 0;
}
