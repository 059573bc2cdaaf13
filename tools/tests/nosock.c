// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for cli_test.sh: any socket() call ends the program with
 * exit status 99, so a test can prove that a command line rejected as a
 * usage error never talked to the kernel.
 */
#include <stdio.h>
#include <unistd.h>

int socket(int domain, int type, int protocol)
{
	(void)type;
	(void)protocol;
	fprintf(stderr, "nosock: socket(%d) called\n", domain);
	_exit(99);
}
