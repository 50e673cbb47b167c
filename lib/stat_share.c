/*
 * The kids' traffic counters (see stat_share.h): an anonymous shared
 * mapping of slots, each padded to whole cache lines.  Counts are plain
 * uint64_t written by one kid; the pid and start time a reader uses to
 * find a kid's CPU time are written once as the kid starts and cleared by
 * the master when it reaps it (relaxed atomics: they only name a kid).
 */
#include "config.h"
#include "stat_share.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"

#define STAT_SHARE_LINE	64

struct stat_share_slot {
	struct stat_counters c;
	_Atomic int32_t	 pid;
	_Atomic int64_t	 started_ms;
} __attribute__((aligned(STAT_SHARE_LINE)));

struct stat_share {
	unsigned	 nslots;
	size_t		 size;		/* of the mapping */
	struct stat_share_slot slots[];
};

struct stat_share *
stat_share_create(unsigned nslots)
{
	size_t size = sizeof(struct stat_share) +
	    (size_t)nslots * sizeof(struct stat_share_slot);
	struct stat_share *s;

	s = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED) {
		log_err("mmap %zu bytes for the traffic counters", size);
		return NULL;
	}
	/* fresh anonymous pages are zero: every count starts at 0 */
	s->nslots = nslots;
	s->size = size;
	return s;
}

unsigned
stat_share_slots(const struct stat_share *s)
{
	return s == NULL ? 0 : s->nslots;
}

struct stat_counters *
stat_share_counters(struct stat_share *s, unsigned slot)
{
	if (s == NULL || slot >= s->nslots)
		return NULL;
	return &s->slots[slot].c;
}

void
stat_share_started(struct stat_share *s, unsigned slot, pid_t pid,
    int64_t started_ms)
{
	if (s == NULL || slot >= s->nslots)
		return;
	atomic_store_explicit(&s->slots[slot].started_ms, started_ms,
	    memory_order_relaxed);
	atomic_store_explicit(&s->slots[slot].pid, (int32_t)pid,
	    memory_order_relaxed);
}

void
stat_share_reaped(struct stat_share *s, unsigned slot)
{
	if (s == NULL || slot >= s->nslots)
		return;
	atomic_store_explicit(&s->slots[slot].pid, 0, memory_order_relaxed);
}

void
stat_share_read(const struct stat_share *s, unsigned slot,
    struct stat_counters *c, struct stat_share_kid *k)
{
	memset(c, 0, sizeof(*c));
	memset(k, 0, sizeof(*k));
	if (s == NULL || slot >= s->nslots)
		return;
	/* field by field: each load is whole (stat_share.h) */
	const volatile uint64_t *from =
	    (const volatile uint64_t *)&s->slots[slot].c;
	uint64_t *to = (uint64_t *)c;
	for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		to[i] = from[i];
	k->pid = (pid_t)atomic_load_explicit(&s->slots[slot].pid,
	    memory_order_relaxed);
	k->started_ms = atomic_load_explicit(&s->slots[slot].started_ms,
	    memory_order_relaxed);
}

/* tag starts with word, followed by its end or a suffix ("_ABORTED") */
static int
stat_share_is(const char *tag, const char *word, size_t n)
{
	return strncmp(tag, word, n) == 0 && (tag[n] == '\0' ||
	    tag[n] == '_');
}

enum stat_hit
stat_share_hit_kind(const char *tag)
{
	static const struct { const char *w; size_t n; } hits[] = {
		{ "IMS_HIT", 7 }, { "INM_HIT", 7 }, { "NEGATIVE_HIT", 12 },
		{ "OFFLINE_HIT", 11 }, { "REFRESH_UNMODIFIED", 18 },
		{ "REFRESH_FAIL_OLD", 16 },
	};

	if (strncmp(tag, "TCP_", 4) != 0)
		return STAT_MISS;
	tag += 4;
	if (strncmp(tag, "CF_", 3) == 0)
		tag += 3;
	/* most requests are misses: one look at the first letter */
	if (tag[0] == 'M')
		return stat_share_is(tag, "MEM_HIT", 7) ? STAT_MEM_HIT :
		    STAT_MISS;
	if (stat_share_is(tag, "HIT", 3))
		return STAT_DISK_HIT;
	for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++)
		if (stat_share_is(tag, hits[i].w, hits[i].n))
			return STAT_HIT;
	return STAT_MISS;
}
