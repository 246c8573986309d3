/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Mapped windows of capture files that may shrink while they are read. A
 * load past the new end of a file raises SIGBUS; a handler installed once
 * (the previous one is kept and called for every other fault) puts zero
 * pages over the rest of the window that faulted and marks it cut, so the
 * reader ends with an error instead of the process dying.
 */
#ifndef NASOONE_MAPGUARD_H
#define NASOONE_MAPGUARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* A guard slot (>= 0), or -1 when none is free or the handler cannot be installed. */
int mapguard_acquire(void);
/* The window the slot protects now (NULL, 0: none). */
void mapguard_set(int slot, const void *start, size_t len);
/* True once a load in the slot's window faulted past the end of the file. */
bool mapguard_cut(int slot);
/* The same, as a flag to load inline on a hot path. */
const atomic_bool *mapguard_flag(int slot);
void mapguard_release(int slot);

#endif /* NASOONE_MAPGUARD_H */
