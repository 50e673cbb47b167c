/*
 * stat_share: the traffic counters behind mgr:counters and mgr:info, one
 * slot per kid in an area the master maps before forking, so that the kid
 * that takes a manager request can sum every kid's counters as Squid's
 * coordinator sums its kids' (workers/mgr_stats.c renders them).
 *
 * A slot is written only by the kid that owns it, with plain increments:
 * no lock and no atomic instruction on the request path.  Readers sum the
 * slots while the kids keep counting.  Each field is an aligned uint64_t,
 * which x86-64 (and every other 64-bit target Linux runs on) loads and
 * stores in one access, so a reader may see a count one or two behind but
 * never a torn value; the sum is as good as Squid's, whose coordinator
 * also collects from kids at slightly different moments.
 *
 * Slots are kept when a kid dies and count on when the master gives the
 * slot to another kid, so the totals only grow for as long as the master
 * runs, across kid restarts and reconfigures (a monitoring system treats
 * them as counters).  Squid 5.7 loses a dead kid's counts.  Each slot is
 * its own cache lines: kids counting on one core never slow each other.
 */
#ifndef CUTTLE_STAT_SHARE_H
#define CUTTLE_STAT_SHARE_H

#include <stdint.h>
#include <sys/types.h>

struct stat_share;

/*
 * One kid's counts, in bytes where Squid shows KB (the page divides, as
 * Squid's kb_t does).  Names follow Squid's StatCounters.
 */
struct stat_counters {
	uint64_t	 client_requests;	/* access.log lines of requests */
	uint64_t	 client_hits;		/* Squid's LogTags::isTcpHit() */
	uint64_t	 client_mem_hits;	/* TCP_MEM_HIT */
	uint64_t	 client_disk_hits;	/* TCP_HIT */
	uint64_t	 client_errors;		/* lines with an %err_code */
	uint64_t	 client_bytes_in;
	uint64_t	 client_bytes_out;
	uint64_t	 client_hit_bytes_out;
	uint64_t	 server_http_requests;	/* requests sent upstream */
	uint64_t	 server_http_bytes_in;
	uint64_t	 server_http_bytes_out;
	uint64_t	 server_other_requests;	/* tunnels opened (CONNECT) */
	uint64_t	 server_other_bytes_in;
	uint64_t	 server_other_bytes_out;
	uint64_t	 select_loops;		/* event-loop turns */
	uint64_t	 swap_ins;		/* objects read from a cache_dir */
};

/* What a reader learns of a slot besides its counts. */
struct stat_share_kid {
	pid_t		 pid;		/* 0: no kid runs there now */
	int64_t		 started_ms;	/* when it started (wall clock) */
};

/* nslots slots; NULL on error (logged). */
struct stat_share *stat_share_create(unsigned nslots);
unsigned stat_share_slots(const struct stat_share *s);
/* Slot's counters, written by its kid only; NULL when out of range. */
struct stat_counters *stat_share_counters(struct stat_share *s,
    unsigned slot);
/* The kid that owns slot now (pid, start), as it starts. */
void stat_share_started(struct stat_share *s, unsigned slot, pid_t pid,
    int64_t started_ms);
/* The master, once that kid is reaped: its counts stay. */
void stat_share_reaped(struct stat_share *s, unsigned slot);
/* Read slot's counts into c and its kid into k. */
void stat_share_read(const struct stat_share *s, unsigned slot,
    struct stat_counters *c, struct stat_share_kid *k);
/*
 * What a result tag (%Ss, "TCP_MEM_HIT_ABORTED") counts as: Squid's
 * LogTags::isTcpHit() makes a hit of TCP_HIT, TCP_MEM_HIT, TCP_IMS_HIT,
 * TCP_INM_HIT, TCP_NEGATIVE_HIT, TCP_OFFLINE_HIT, TCP_REFRESH_UNMODIFIED
 * and TCP_REFRESH_FAIL_OLD, collapsed (TCP_CF_) or aborted or not.
 */
enum stat_hit { STAT_MISS, STAT_HIT, STAT_MEM_HIT, STAT_DISK_HIT };
enum stat_hit stat_share_hit_kind(const char *tag);
/* Squid's kb_t: whole KB of a byte count. */
static inline uint64_t stat_share_kb(uint64_t bytes) { return bytes >> 10; }

#endif
