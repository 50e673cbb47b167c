/*
 * The worker's descriptor budget.  Client connections and tunnel pipes grow
 * with load, but the store channel, log files, DNS and helpers need a few
 * descriptors at any time; like Squid's RESERVED_FD, new clients stop while
 * fewer than a reserve are free, so that what is already being served never
 * fails first.
 *
 * The kernel hands out the lowest free descriptor, so while the highest
 * descriptor seen is far below the limit, most are free and nothing needs
 * counting.  Near the limit, an exact count is a poll(2) over every possible
 * descriptor (closed ones answer POLLNVAL), repeated at most every few
 * milliseconds; descriptors opened in between are subtracted, descriptors
 * closed in between are not, which errs on the side of the reserve.
 *
 * In DESIGN.md's data flow: accept (whether to take a new client) and every
 * socket after it.
 */
#include "config.h"
#include "fdbudget.h"
#include "evloop.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <sys/resource.h>

/* How long an exact count stays good, in ms. */
#define FDBUDGET_COUNT_MS 10
/* Squid's RESERVED_FD: 100, or a quarter of a small limit. */
#define FDBUDGET_RESERVE_MAX 100
/* Above this limit an exact count costs too much; trust the estimate. */
#define FDBUDGET_COUNT_LIMIT (1 << 20)

static int fdbudget_max;
static int fdbudget_reserved;
static int fdbudget_highest;
static int fdbudget_counted_free;
static uint64_t fdbudget_counted_at;
static int fdbudget_have_count;
static struct pollfd *fdbudget_pfd;

void
fdbudget_init(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > FDBUDGET_COUNT_LIMIT)
		fdbudget_max = FDBUDGET_COUNT_LIMIT;
	else
		fdbudget_max = (int)rl.rlim_cur;
	fdbudget_reserved = fdbudget_max / 4 < FDBUDGET_RESERVE_MAX ?
	    fdbudget_max / 4 : FDBUDGET_RESERVE_MAX;
	fdbudget_highest = 0;
	fdbudget_have_count = 0;
}

int
fdbudget_limit(void)
{
	return fdbudget_max;
}

int
fdbudget_reserve(void)
{
	return fdbudget_reserved;
}

int
fdbudget_exhausted_errno(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	    err == ENOMEM;
}

void
fdbudget_note_open(int fd)
{
	if (fd > fdbudget_highest)
		fdbudget_highest = fd;
	if (fdbudget_have_count && fdbudget_counted_free > 0)
		fdbudget_counted_free--;
}

static int
fdbudget_count(void)
{
	int nfree = 0;

	if (fdbudget_pfd == NULL)
		fdbudget_pfd = xcalloc((size_t)fdbudget_max,
		    sizeof(*fdbudget_pfd));
	for (int i = 0; i < fdbudget_max; i++) {
		fdbudget_pfd[i].fd = i;
		fdbudget_pfd[i].events = 0;
		fdbudget_pfd[i].revents = 0;
	}
	if (poll(fdbudget_pfd, (nfds_t)fdbudget_max, 0) == -1) {
		log_err("poll to count descriptors");
		return fdbudget_max - fdbudget_highest - 1;
	}
	for (int i = 0; i < fdbudget_max; i++)
		if (fdbudget_pfd[i].revents & POLLNVAL)
			nfree++;
	return nfree;
}

int
fdbudget_free(void)
{
	/* far from the limit: lowest-first allocation leaves the rest free */
	if (fdbudget_highest < fdbudget_max - 4 * fdbudget_reserved)
		return fdbudget_max - fdbudget_highest - 1;
	if (!fdbudget_have_count ||
	    ev_now() - fdbudget_counted_at >= FDBUDGET_COUNT_MS) {
		fdbudget_counted_free = fdbudget_count();
		fdbudget_counted_at = ev_now();
		fdbudget_have_count = 1;
	}
	return fdbudget_counted_free;
}
