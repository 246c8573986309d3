/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Promiscuous mode for the eBPF path, set the way libpcap sets it: a packet
 * socket's PACKET_MR_PROMISC membership. The kernel counts such requests
 * per interface and drops this one when the socket closes, even if nasoone
 * is killed, so an interface another program holds promiscuous stays so.
 */
#ifndef NASOONE_PROMISC_H
#define NASOONE_PROMISC_H

#include <stddef.h>

/* The socket holding ifname promiscuous (close it to release), or -errno with err set. */
int promisc_hold(const char *ifname, char *err, size_t errlen);
void promisc_release(int fd);

#endif /* NASOONE_PROMISC_H */
