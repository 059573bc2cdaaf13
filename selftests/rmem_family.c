// SPDX-License-Identifier: GPL-2.0
/*
 * rmem_family - is a generic netlink family registered?
 *
 *   rmem_family [NAME]     (default: "rmem")
 *
 * Prints the family id and exits 0 when it is registered, exits 1 when it is
 * not, 2 on any other error. Used by the shell tests, which must not depend
 * on rmemctl to tell whether the module's family is there.
 */
#include <stdio.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "uapi/rmem.h"

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : RMEM_GENL_NAME;
	struct nl_sock *sk = nl_socket_alloc();
	int id;

	if (!sk || genl_connect(sk)) {
		fprintf(stderr, "rmem_family: cannot open a generic netlink socket\n");
		return 2;
	}
	id = genl_ctrl_resolve(sk, name);
	nl_socket_free(sk);
	if (id < 0) {
		fprintf(stderr, "rmem_family: family \"%s\" not registered\n", name);
		return 1;
	}
	printf("%d\n", id);
	return 0;
}
