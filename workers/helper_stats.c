/*
 * helper_stats: a helper pool's statistics as Squid 5.7 prints them on its
 * cache manager pages (helper::packStatsInto in helper.cc), field for
 * field, so that scripts reading Squid's mgr:redirector and friends read
 * ours.  Children are listed in the order they were started, as Squid
 * lists its servers.
 */
#include "config.h"
#include "helper_pool.h"
#include "helper_pool_int.h"

#include <inttypes.h>
#include <stdlib.h>

#include "buf.h"
#include "evloop.h"
#include "logformat.h"
#include "util.h"

/* Seconds since the child's first pending request went out, or the last one
 * it answered took. */
static double
helper_stats_time(const struct helper_proc *pr)
{
	uint64_t now = ev_now();
	int64_t ms;

	if (pr->head != NULL)
		ms = (int64_t)(now - pr->head->sent_ms);
	else
		ms = (int64_t)(pr->last_answer_ms - pr->last_sent_ms);
	return ms < 0 ? 0.0 : 0.001 * (double)ms;
}

static void
helper_stats_child(const struct helper_proc *pr, struct buf *out)
{
	const struct helper_req *r = pr->head;
	char *req = NULL;

	if (r != NULL && !(pr->pool->flags & HELPER_SECRET)) {
		size_t cap = r->len * 3 + 1;
		req = xmalloc(cap);
		logformat_quote_mimeblob(r->msg, r->len, req, cap);
	}
	/* Squid's flags: B busy, W writing, C closing, R reserved,
	 * S shutdown pending, P placeholder; ours are never closing,
	 * shutting down or placeholders while listed */
	buf_printf(out, "%7d\t%7d\t%7ld\t%11" PRIu64 "\t%11" PRIu64 "\t%11"
	    PRIu64 "\t%c%c%c%c%c%c\t%7.3f\t%7d\t%s\n",
	    pr->index, pr->fd, (long)pr->pid, pr->uses, pr->replies,
	    pr->timedout, pr->load > 0 ? 'B' : ' ',
	    buf_avail(&pr->out) > 0 ? 'W' : ' ', ' ',
	    pr->hold != NULL ? 'R' : ' ', ' ', ' ',
	    helper_stats_time(pr), (int)buf_avail(&pr->in),
	    r == NULL ? "(none)" : req != NULL ? req : "(secret)");
	free(req);
}

void
helper_pool_stats(const struct helper_pool *p, struct buf *out,
    const char *label)
{
	const struct helper_proc **procs;
	int n = 0;

	if (label != NULL)
		buf_printf(out, "%s:\n", label);
	buf_printf(out, "  program: %s\n", p->argv[0]);
	buf_printf(out, "  number active: %d of %d (%d shutting down)\n",
	    p->nprocs, p->ch.n_max, 0);
	buf_printf(out, "  requests sent: %d\n", (int)p->requests);
	buf_printf(out, "  replies received: %d\n", (int)p->replies);
	buf_printf(out, "  requests timedout: %d\n", (int)p->timedout);
	buf_printf(out, "  queue length: %d\n", p->qlen);
	buf_printf(out, "  avg service time: %d msec\n", p->avg_svc_ms);
	buf_printf(out, "\n");
	buf_printf(out, "%7s\t%7s\t%7s\t%11s\t%11s\t%11s\t%6s\t%7s\t%7s\t%7s\n",
	    "ID #", "FD", "PID", "# Requests", "# Replies", "# Timed-out",
	    "Flags", "Time", "Offset", "Request");
	procs = xcalloc((size_t)p->nprocs + 1, sizeof(*procs));
	for (const struct helper_proc *pr = p->procs; pr != NULL &&
	    n < p->nprocs; pr = pr->next)
		procs[n++] = pr;
	while (n-- > 0)		/* the list is newest first */
		helper_stats_child(procs[n], out);
	free(procs);
	buf_printf(out, "\nFlags key:\n"
	    "   B\tBUSY\n"
	    "   W\tWRITING\n"
	    "   C\tCLOSING\n"
	    "   R\tRESERVED\n"
	    "   S\tSHUTDOWN PENDING\n"
	    "   P\tPLACEHOLDER\n");
}
