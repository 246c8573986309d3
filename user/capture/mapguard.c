/* SPDX-License-Identifier: GPL-2.0-only */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/mapguard.h"

#define SLOTS 64

/* Static slots: the handler may run while another thread releases one, never on freed memory. */
static struct {
	atomic_bool used;
	atomic_uintptr_t start, end;
	atomic_bool cut;
} slots[SLOTS];

static struct sigaction previous;
static uintptr_t page_mask;
static bool installed;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Not our window: behave as if this handler were not there. */
static void chain(int sig, siginfo_t *si, void *uc)
{
	if (previous.sa_flags & SA_SIGINFO) {
		previous.sa_sigaction(sig, si, uc);
	} else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
		previous.sa_handler(sig);
	} else {
		/* Returning re-runs the load, which then gets the default action. */
		signal(sig, SIG_DFL);
	}
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t addr = (uintptr_t)si->si_addr, page = addr & page_mask;
	int i;

	for (i = 0; si->si_code == BUS_ADRERR && i < SLOTS; i++) {
		/* end, start, end again: a pair that mapguard_set() did not tear. */
		uintptr_t end = atomic_load(&slots[i].end), start = atomic_load(&slots[i].start);

		if (!atomic_load(&slots[i].used) || end != atomic_load(&slots[i].end) ||
		    addr < start || addr >= end)
			continue;
		/* mmap is a plain system call on Linux, safe here. The reader sees zeros, then the
		 * flag. */
		if (mmap((void *)page, end - page, PROT_READ,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
			break;
		atomic_store(&slots[i].cut, true);
		return;
	}
	chain(sig, si, uc);
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
	installed = sigaction(SIGBUS, &sa, &previous) == 0;
}

int mapguard_acquire(void)
{
	int i;

	pthread_once(&once, install);
	if (!installed)
		return -1;
	for (i = 0; i < SLOTS; i++) {
		bool expected = false;

		if (atomic_compare_exchange_strong(&slots[i].used, &expected, true)) {
			atomic_store(&slots[i].cut, false);
			return i;
		}
	}
	return -1;
}

void mapguard_set(int slot, const void *start, size_t len)
{
	/* end first: the window is never larger than the mapping while it changes. */
	atomic_store(&slots[slot].end, 0);
	atomic_store(&slots[slot].start, (uintptr_t)start);
	atomic_store(&slots[slot].end, (uintptr_t)start + len);
}

bool mapguard_cut(int slot)
{
	return atomic_load_explicit(&slots[slot].cut, memory_order_relaxed);
}

const atomic_bool *mapguard_flag(int slot)
{
	return &slots[slot].cut;
}

void mapguard_release(int slot)
{
	if (slot < 0)
		return;
	mapguard_set(slot, NULL, 0);
	atomic_store(&slots[slot].used, false);
}
