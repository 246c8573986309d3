/* SPDX-License-Identifier: GPL-2.0-only */
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture/promisc.h"

int promisc_hold(const char *ifname, char *err, size_t errlen)
{
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int fd, ret;

	mr.mr_ifindex = (int)if_nametoindex(ifname);
	if (!mr.mr_ifindex) {
		snprintf(err, errlen, "no such interface %s (see nasoone -D)", ifname);
		return -ENODEV;
	}
	/* Protocol 0: the socket is never bound to a protocol, so no packet is queued on it. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot set %s promiscuous: %s%s", ifname, strerror(-ret),
			 ret == -EPERM ? " (needs CAP_NET_RAW; -p leaves it alone)" : "");
		return ret;
	}
	return fd;
}

void promisc_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
