/* SPDX-License-Identifier: GPL-2.0-only */
/* The capture devices libpcap knows: nasoone -D and the default interface. */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nasoone.h"

/*
 * An IPv4 or IPv6 address: libpcap also lists an interface's link-layer
 * address (AF_PACKET), which every interface has.
 */
static bool has_ip_address(const pcap_if_t *d)
{
	for (const pcap_addr_t *a = d->addresses; a; a = a->next)
		if (a->addr && (a->addr->sa_family == AF_INET || a->addr->sa_family == AF_INET6))
			return true;
	return false;
}

int nasoone_list_devices(struct nasoone_device **devices, size_t *count)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_if_t *all, *d;
	struct nasoone_device *list;
	size_t n = 0;

	if (!devices || !count)
		return NASOONE_EINVAL;
	*devices = NULL;
	*count = 0;
	if (pcap_findalldevs(&all, errbuf))
		return NASOONE_ECAPTURE;
	for (d = all; d; d = d->next)
		n++;
	list = calloc(n ? n : 1, sizeof(*list));
	if (!list) {
		pcap_freealldevs(all);
		return NASOONE_ENOMEM;
	}
	n = 0;
	for (d = all; d; d = d->next) {
		/* Interfaces with an address, and libpcap's "any" (every interface). */
		if (!has_ip_address(d) && strcmp(d->name, "any"))
			continue;
		list[n].name = strdup(d->name);
		list[n].description = strdup(d->description ? d->description : "");
		if (!list[n].name || !list[n].description) {
			nasoone_free_devices(list, n + 1);
			pcap_freealldevs(all);
			return NASOONE_ENOMEM;
		}
		n++;
	}
	pcap_freealldevs(all);
	*devices = list;
	*count = n;
	return 0;
}

void nasoone_free_devices(struct nasoone_device *devices, size_t count)
{
	size_t i;

	for (i = 0; devices && i < count; i++) {
		free(devices[i].name);
		free(devices[i].description);
	}
	free(devices);
}

int nasoone_default_device(char *name, size_t size)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_if_t *all, *d;
	int ret = NASOONE_ENODEV;

	if (!name || !size)
		return NASOONE_EINVAL;
	if (pcap_findalldevs(&all, errbuf))
		return NASOONE_ECAPTURE;
	for (d = all; d; d = d->next) {
		if (!has_ip_address(d) || (d->flags & PCAP_IF_LOOPBACK) || !(d->flags & PCAP_IF_UP))
			continue;
		if (strlen(d->name) >= size) {
			ret = NASOONE_EINVAL;
			break;
		}
		strcpy(name, d->name);
		ret = 0;
		break;
	}
	pcap_freealldevs(all);
	return ret;
}
