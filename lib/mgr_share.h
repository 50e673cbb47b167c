/*
 * mgr_share: each worker's cache manager sections, readable by every other
 * worker, so that whichever kid takes a mgr: request can answer with every
 * kid's part as Squid's coordinator does (workers/mgr_kids.c).  One
 * MAP_SHARED|MAP_ANONYMOUS area made by the master before it forks
 * (heritage.mgr_share), one slot per live kid (the master's kid slot,
 * unique among running kids).  A slot is written by its kid alone and
 * read by the others without a lock: two buffers and a publication count
 * (a seqlock whose writer never leaves the current buffer half-written),
 * so a reader is never blocked, not even by a kid stopped or killed in the
 * middle of a publication; it retries a few times when the writer
 * overtakes it, then reports the slot busy.  What a slot holds is opaque
 * here (the worker's pages); the kid number and worker generation go with
 * it, so a reader can order slots by kid and skip a retiring generation.
 *
 * A kid may publish less often than its statistics change (rendering costs
 * more than counting): each publication carries the version of the
 * statistics it shows, and the kid notes its current version (one atomic
 * store) and pid as they change, so a reader can tell a stale publication
 * and ask that kid for a fresh one.
 */
#ifndef CUTTLE_MGR_SHARE_H
#define CUTTLE_MGR_SHARE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mgr_share;

/* Bytes one slot holds: a kid's pages longer than this are cut. */
#define MGR_SHARE_SECTION_MAX	(64 * 1024)

/* nslots slots of MGR_SHARE_SECTION_MAX bytes; NULL on error (logged). */
struct mgr_share *mgr_share_create(unsigned nslots);
void mgr_share_destroy(struct mgr_share *s);
unsigned mgr_share_slots(const struct mgr_share *s);

/* What a reader learns of a slot besides the publication's bytes. */
struct mgr_share_part {
	int		 kid;		/* 0: nothing published */
	int		 generation;
	pid_t		 pid;		/* the kid's, as it last noted */
	uint64_t	 version;	/* of the statistics published */
	uint64_t	 current;	/* the kid's version now, as it noted */
};

/*
 * Kid `kid` of worker generation `generation`, in slot `slot`, publishes
 * len bytes of data showing its statistics at `version` (at most
 * MGR_SHARE_SECTION_MAX bytes: -1 when longer, or when slot is out of
 * range).  Only that kid writes its slot.
 */
int mgr_share_publish(struct mgr_share *s, unsigned slot, int kid,
    int generation, uint64_t version, const void *data, size_t len);
/* The kid in slot, pid, has its statistics at version now. */
void mgr_share_note(struct mgr_share *s, unsigned slot, pid_t pid,
    uint64_t version);
/*
 * Copy slot's last publication into dst (MGR_SHARE_SECTION_MAX bytes) and
 * return its length, with *part; 0 when nothing is published there
 * (part->kid 0); -1 when the writer kept overtaking the copy.
 */
ssize_t mgr_share_read(struct mgr_share *s, unsigned slot,
    struct mgr_share_part *part, void *dst);
/* The master, once the kid in slot is reaped: its sections go with it. */
void mgr_share_clear(struct mgr_share *s, unsigned slot);

#endif
