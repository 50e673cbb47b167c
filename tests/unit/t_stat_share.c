/*
 * Unit tests for stat_share.c: which result tags count as hits (Squid's
 * LogTags::isTcpHit), slots are independent and start at zero, a reaped
 * kid's counts stay while its pid goes, and a reader summing a slot that
 * another process is counting in sees every count whole and never going
 * backwards.
 */
#include "config.h"
#include "stat_share.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static void
test_hit_kinds(void)
{
	static const struct { const char *tag; enum stat_hit want; } t[] = {
		{ "TCP_MISS", STAT_MISS }, { "TCP_MEM_HIT", STAT_MEM_HIT },
		{ "TCP_HIT", STAT_DISK_HIT }, { "TCP_HIT_ABORTED", STAT_DISK_HIT },
		{ "TCP_MEM_HIT_ABORTED", STAT_MEM_HIT },
		{ "TCP_CF_HIT", STAT_DISK_HIT }, { "TCP_IMS_HIT", STAT_HIT },
		{ "TCP_INM_HIT", STAT_HIT }, { "TCP_NEGATIVE_HIT", STAT_HIT },
		{ "TCP_OFFLINE_HIT", STAT_HIT },
		{ "TCP_REFRESH_UNMODIFIED", STAT_HIT },
		{ "TCP_REFRESH_FAIL_OLD", STAT_HIT },
		{ "TCP_REFRESH_MODIFIED", STAT_MISS },
		{ "TCP_REFRESH_FAIL_ERR", STAT_MISS },
		{ "TCP_CLIENT_REFRESH_MISS", STAT_MISS },
		{ "TCP_SWAPFAIL_MISS", STAT_MISS }, { "TCP_DENIED", STAT_MISS },
		{ "TCP_TUNNEL", STAT_MISS }, { "NONE_NONE", STAT_MISS },
		{ "TCP_HITX", STAT_MISS }, { "", STAT_MISS },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(stat_share_hit_kind(t[i].tag), t[i].want, "%s", t[i].tag);
}

static void
test_slots(void)
{
	struct stat_share *s = stat_share_create(4);
	struct stat_counters c;
	struct stat_share_kid k;

	ok(s != NULL, "created");
	is_int(stat_share_slots(s), 4, "four slots");
	ok(stat_share_counters(s, 4) == NULL, "slot 4 is out of range");
	stat_share_counters(s, 1)->client_requests += 5;
	stat_share_counters(s, 2)->client_requests += 7;
	stat_share_started(s, 1, 1234, 1000);
	stat_share_read(s, 1, &c, &k);
	is_int(c.client_requests, 5, "slot 1 has its count");
	is_int(k.pid, 1234, "and its kid");
	is_int(k.started_ms, 1000, "and when it started");
	stat_share_read(s, 0, &c, &k);
	is_int(c.client_requests, 0, "slot 0 starts at zero");
	stat_share_reaped(s, 1);
	stat_share_read(s, 1, &c, &k);
	is_int(c.client_requests, 5, "a reaped kid's counts stay");
	is_int(k.pid, 0, "its pid goes");
	stat_share_read(s, 2, &c, &k);
	is_int(c.client_requests, 7, "slot 2 is its own");
}

/* A child counts in slot 0 while we read: whole values, never backwards. */
static void
test_reader_while_counting(void)
{
	struct stat_share *s = stat_share_create(2);
	struct stat_counters c;
	struct stat_share_kid k;
	uint64_t last = 0;
	int whole = 1, forward = 1;
	pid_t pid = fork();

	if (pid == 0) {
		/* volatile: each step a store, as in a worker */
		volatile struct stat_counters *mine =
		    stat_share_counters(s, 0);
		for (uint64_t i = 0; i < 50000000; i++) {
			/* odd steps across the 32-bit boundary */
			mine->client_bytes_out += 0x100000001ULL;
			mine->client_requests++;
		}
		_exit(0);
	}
	for (int i = 0; i < 200000; i++) {
		stat_share_read(s, 0, &c, &k);
		if (c.client_bytes_out % 0x100000001ULL != 0)
			whole = 0;
		if (c.client_bytes_out < last)
			forward = 0;
		last = c.client_bytes_out;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ok(whole, "every value read is whole");
	ok(forward, "and never goes backwards");
}

int
main(void)
{
	test_hit_kinds();
	test_slots();
	test_reader_while_counting();
	return tap_done();
}
