/*
 * The cache manager's shared sections (see mgr_share.h).  A publication is
 * written into the buffer readers are not being sent to, then the count
 * is bumped with release order: a reader that sees count c copies buffer
 * c & 1 and keeps the copy only if the count is still c afterwards (a
 * writer that has moved on may be rewriting that very buffer).  The area
 * is anonymous shared memory: pages a kid never writes cost nothing.
 */
#include "config.h"
#include "mgr_share.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"

/* Copies a reader attempts before calling the slot busy. */
#define MGR_SHARE_TRIES	8

struct mgr_share_buf {
	int32_t		 kid;
	int32_t		 generation;
	uint64_t	 version;
	uint32_t	 len;
	char		 data[MGR_SHARE_SECTION_MAX];
};

struct mgr_share_slot {
	_Atomic uint64_t seq;	/* publications so far, 0: none */
	_Atomic uint64_t current;	/* the kid's version now */
	_Atomic int32_t pid;
	struct mgr_share_buf buf[2];	/* publication n is in buf[n & 1] */
};

struct mgr_share {
	unsigned	 nslots;
	size_t		 size;		/* of the mapping */
	struct mgr_share_slot slots[];
};

struct mgr_share *
mgr_share_create(unsigned nslots)
{
	size_t size = sizeof(struct mgr_share) +
	    (size_t)nslots * sizeof(struct mgr_share_slot);
	struct mgr_share *s;

	s = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s == MAP_FAILED) {
		log_err("mmap %zu bytes for the cache manager's sections",
		    size);
		return NULL;
	}
	/* fresh anonymous pages are zero: every count is 0 (empty) */
	s->nslots = nslots;
	s->size = size;
	return s;
}

void
mgr_share_destroy(struct mgr_share *s)
{
	if (s != NULL)
		munmap(s, s->size);
}

unsigned
mgr_share_slots(const struct mgr_share *s)
{
	return s == NULL ? 0 : s->nslots;
}

int
mgr_share_publish(struct mgr_share *s, unsigned slot, int kid,
    int generation, uint64_t version, const void *data, size_t len)
{
	struct mgr_share_slot *sl;
	struct mgr_share_buf *b;
	uint64_t next;

	if (s == NULL || slot >= s->nslots || len > MGR_SHARE_SECTION_MAX)
		return -1;
	sl = &s->slots[slot];
	next = atomic_load_explicit(&sl->seq, memory_order_relaxed) + 1;
	b = &sl->buf[next & 1];
	b->kid = kid;
	b->generation = generation;
	b->version = version;
	b->len = (uint32_t)len;
	memcpy(b->data, data, len);
	atomic_store_explicit(&sl->seq, next, memory_order_release);
	return 0;
}

void
mgr_share_note(struct mgr_share *s, unsigned slot, pid_t pid,
    uint64_t version)
{
	if (s == NULL || slot >= s->nslots)
		return;
	atomic_store_explicit(&s->slots[slot].pid, (int32_t)pid,
	    memory_order_relaxed);
	atomic_store_explicit(&s->slots[slot].current, version,
	    memory_order_release);
}

ssize_t
mgr_share_read(struct mgr_share *s, unsigned slot,
    struct mgr_share_part *part, void *dst)
{
	struct mgr_share_slot *sl;

	memset(part, 0, sizeof(*part));
	if (s == NULL || slot >= s->nslots)
		return 0;
	sl = &s->slots[slot];
	for (int i = 0; i < MGR_SHARE_TRIES; i++) {
		uint64_t seq = atomic_load_explicit(&sl->seq,
		    memory_order_acquire);
		if (seq == 0)
			return 0;
		const struct mgr_share_buf *b = &sl->buf[seq & 1];
		int32_t k = b->kid, g = b->generation;
		uint64_t version = b->version;
		uint32_t len = b->len;
		/* a torn length must not overrun dst: the copy is retried */
		if (len > MGR_SHARE_SECTION_MAX)
			len = MGR_SHARE_SECTION_MAX;
		memcpy(dst, b->data, len);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&sl->seq, memory_order_relaxed) !=
		    seq)
			continue;
		part->kid = k;
		part->generation = g;
		part->version = version;
		part->current = atomic_load_explicit(&sl->current,
		    memory_order_acquire);
		part->pid = (pid_t)atomic_load_explicit(&sl->pid,
		    memory_order_relaxed);
		return (ssize_t)len;
	}
	return -1;
}

void
mgr_share_clear(struct mgr_share *s, unsigned slot)
{
	if (s == NULL || slot >= s->nslots)
		return;
	atomic_store_explicit(&s->slots[slot].pid, 0, memory_order_relaxed);
	atomic_store_explicit(&s->slots[slot].current, 0,
	    memory_order_relaxed);
	atomic_store_explicit(&s->slots[slot].seq, 0, memory_order_release);
}
