/* SPDX-License-Identifier: GPL-2.0-only */
/* Loads from capture files written in either byte order, at any alignment. */
#ifndef NASOONE_BYTEORDER_H
#define NASOONE_BYTEORDER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t load_u16(const uint8_t *p, bool swap)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return swap ? __builtin_bswap16(v) : v;
}

static inline uint32_t load_u32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

#endif /* NASOONE_BYTEORDER_H */
