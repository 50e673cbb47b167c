/*
 * Every kid's part of a per-kid manager page (see mgr_kids.h).
 *
 * Why shared memory rather than asking each kid: Squid's coordinator sends
 * the request to each kid in turn over its IPC sockets and waits up to 10
 * s for each, so a stopped kid delays the page and a dead one drops out
 * only after the timeout.  cuttle has no coordinator, and its workers have
 * no channel to one another; adding one (through the master, which is
 * kept small and privileged on purpose) would put a round trip per kid on
 * every page and the same wait on a kid that does not answer.  Instead
 * each kid publishes its pages into its own slot of an area the master
 * mapped before forking (heritage.mgr_share), and the kid that takes the
 * request reads the others' slots: no protocol, no lock a stopped kid
 * could hold (mgr_share.c is lock-free for readers), and at most a short,
 * bounded wait for a kid whose slot is behind (below).  A kid
 * that died is dropped by the master when it reaps it; a restarted one
 * appears with its first publication, made as it starts.
 *
 * When: a kid notes the version of its helper statistics
 * (helper_pool_changes) at the end of every event-loop turn that changed
 * them (one atomic store), but renders and publishes its pages at most
 * every MGR_KIDS_PUBLISH_MS, a timer publishing the last change: rendering
 * six pages each turn cost a rewriter + store ID + external ACL load a
 * third more worker CPU.  The kid that answers a page sees which
 * publications are older than their kid's noted version, nudges those
 * kids (SIGURG: its default is to be ignored, so a stray one harms
 * nothing) to publish at once, and waits for them at most MGR_KIDS_WAIT_MS
 * in all (the answering kid sleeps in its event loop meanwhile: a page is
 * rare, and a nudged kid answers in well under a millisecond); a kid that
 * does not answer in that time (stopped, busy) shows its last
 * publication.  So counts are those of the moment the page is
 * asked; only a busy child's Time column in another kid's part is as of
 * that kid's publication.  A kid's pages are cut to fit a slot
 * (MGR_SHARE_SECTION_MAX), which only hundreds of busy children with long
 * requests reach.
 *
 * A publication: for each page, in the order mgr_kids_start was given
 * them, a 4-byte length (-1: not registered) and the text.
 */
#include "config.h"
#include "mgr_kids.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "evloop.h"
#include "helper_pool.h"
#include "heritage.h"
#include "log.h"
#include "mgr_share.h"
#include "util.h"

/* The most often a kid publishes while its helpers are busy. */
#define MGR_KIDS_PUBLISH_MS	50
/* The longest a page waits for stale kids to publish. */
#define MGR_KIDS_WAIT_MS	20
/* How often it looks while waiting, in microseconds. */
#define MGR_KIDS_POLL_US	200

#define MGR_KIDS_CUT	"(cut: this kid's page is longer than its shared " \
	"section)\n"

static mgr_kids_page_fn *const *mgr_kids_pages;
static size_t mgr_kids_npages;
static uint64_t mgr_kids_published;	/* helper_pool_changes() then */
static int mgr_kids_ever;		/* published at least once */
static uint64_t mgr_kids_published_ms;
static uint64_t mgr_kids_noted;		/* helper_pool_changes() noted */
static struct ev_timer mgr_kids_timer;	/* publishes a change held back */

/* Append page i's record to blob, its text cut to at most max bytes. */
static void
mgr_kids_record(struct buf *blob, size_t i, size_t max)
{
	struct buf text;
	int32_t len;

	buf_init(&text);
	if (mgr_kids_pages[i](&text) == -1) {
		len = -1;
		buf_append(blob, &len, sizeof(len));
		buf_free(&text);
		return;
	}
	size_t n = buf_avail(&text);
	if (n > max) {
		/* at a line's end, then the note */
		const char *t = buf_head(&text);
		n = max - (sizeof(MGR_KIDS_CUT) - 1);
		while (n > 0 && t[n - 1] != '\n')
			n--;
	}
	len = (int32_t)(n < buf_avail(&text) ? n + sizeof(MGR_KIDS_CUT) - 1 :
	    n);
	buf_append(blob, &len, sizeof(len));
	buf_append(blob, buf_head(&text), n);
	if (n < buf_avail(&text))
		buf_append(blob, MGR_KIDS_CUT, sizeof(MGR_KIDS_CUT) - 1);
	buf_free(&text);
}

/* Tell readers what version our statistics are at (cheap: every turn). */
static void
mgr_kids_note(void)
{
	uint64_t v = helper_pool_changes();

	if (v == mgr_kids_noted && mgr_kids_ever)
		return;
	mgr_kids_noted = v;
	mgr_share_note(heritage.mgr_share, (unsigned)heritage.mgr_slot,
	    getpid(), v);
}

static void
mgr_kids_publish(void)
{
	struct buf blob;
	size_t share = (MGR_SHARE_SECTION_MAX / mgr_kids_npages) -
	    sizeof(int32_t);

	mgr_kids_published = helper_pool_changes();
	mgr_kids_published_ms = ev_now();
	mgr_kids_note();
	mgr_kids_ever = 1;
	buf_init(&blob);
	for (size_t i = 0; i < mgr_kids_npages; i++)
		mgr_kids_record(&blob, i, SIZE_MAX);
	if (buf_avail(&blob) > MGR_SHARE_SECTION_MAX) {
		/* too long together: each page gets its share */
		buf_consume(&blob, buf_avail(&blob));
		for (size_t i = 0; i < mgr_kids_npages; i++)
			mgr_kids_record(&blob, i, share);
	}
	if (mgr_share_publish(heritage.mgr_share, (unsigned)heritage.mgr_slot,
	    heritage.kid, heritage.generation, mgr_kids_published,
	    buf_head(&blob), buf_avail(&blob)) == -1)
		log_debug(16, 1, "cannot publish the manager pages of kid%d "
		    "(%zu bytes)", heritage.kid, buf_avail(&blob));
	buf_free(&blob);
}

static void
mgr_kids_due(struct ev_timer *t)
{
	(void)t;
	if (helper_pool_changes() != mgr_kids_published)
		mgr_kids_publish();
}

/* Before each wait: publish again when a helper statistic moved. */
static void
mgr_kids_hook(void)
{
	uint64_t since = ev_now() - mgr_kids_published_ms;

	if (mgr_kids_ever && helper_pool_changes() == mgr_kids_published)
		return;
	mgr_kids_note();
	if (!mgr_kids_ever || since >= MGR_KIDS_PUBLISH_MS)
		mgr_kids_publish();
	else if (!ev_timer_armed(&mgr_kids_timer))
		ev_timer_start(&mgr_kids_timer, MGR_KIDS_PUBLISH_MS - since);
}

void
mgr_kids_wanted(void)
{
	if (heritage.mgr_share != NULL &&
	    helper_pool_changes() != mgr_kids_published)
		mgr_kids_publish();
}

void
mgr_kids_start(mgr_kids_page_fn *const *pages, size_t n)
{
	mgr_kids_pages = pages;
	mgr_kids_npages = n;
	if (heritage.mgr_share == NULL || n == 0)
		return;
	ev_timer_init(&mgr_kids_timer, mgr_kids_due, NULL);
	ev_batch_hook_add(mgr_kids_hook);
}

/* Page i's text in a publication; -1 when absent or not registered. */
static int
mgr_kids_find(const char *blob, size_t len, size_t i, const char **text,
    size_t *n)
{
	size_t off = 0;
	int32_t l;

	for (size_t k = 0; off + sizeof(l) <= len; k++) {
		memcpy(&l, blob + off, sizeof(l));
		off += sizeof(l);
		if (l < 0) {
			if (k == i)
				return -1;
			continue;
		}
		if ((size_t)l > len - off)
			return -1;
		if (k == i) {
			*text = blob + off;
			*n = (size_t)l;
			return 0;
		}
		off += (size_t)l;
	}
	return -1;
}

struct mgr_kids_part {
	int		 kid;
	unsigned	 slot;
	int		 stale;		/* older than its kid's noted version */
	char		*blob;		/* NULL: this kid, rendered live */
	size_t		 len;
};

static int
mgr_kids_cmp(const void *a, const void *b)
{
	const struct mgr_kids_part *x = a, *y = b;

	return (x->kid > y->kid) - (x->kid < y->kid);
}

/*
 * Read slot into p when it holds a part of another kid of this generation:
 * 1 if so (p->blob malloc'd, replacing any), else 0.
 */
static int
mgr_kids_read(unsigned slot, char *dst, struct mgr_kids_part *p)
{
	struct mgr_share_part sp;
	ssize_t len = mgr_share_read(heritage.mgr_share, slot, &sp, dst);

	if (len == -1) {
		log_debug(16, 2, "manager slot %u: busy, left out", slot);
		return 0;
	}
	if (len == 0 || sp.kid <= 0 || sp.kid == heritage.kid ||
	    sp.generation != heritage.generation)
		return 0;
	free(p->blob);
	p->kid = sp.kid;
	p->slot = slot;
	p->blob = xmalloc((size_t)len);
	memcpy(p->blob, dst, (size_t)len);
	p->len = (size_t)len;
	p->stale = sp.version != sp.current;
	if (p->stale && sp.pid > 0)
		kill(sp.pid, SIGURG);	/* publish now, please */
	return 1;
}

/* Wait (bounded) for stale parts to be published again. */
static void
mgr_kids_freshen(struct mgr_kids_part *v, size_t n, char *dst)
{
	uint64_t deadline = util_now_ms() + MGR_KIDS_WAIT_MS;
	struct timespec poll = { 0, MGR_KIDS_POLL_US * 1000L };
	size_t stale;

	for (;;) {
		stale = 0;
		for (size_t k = 0; k < n; k++)
			stale += v[k].blob != NULL && v[k].stale;
		if (stale == 0 || util_now_ms() >= deadline)
			break;
		nanosleep(&poll, NULL);
		for (size_t k = 0; k < n; k++)
			if (v[k].blob != NULL && v[k].stale &&
			    mgr_kids_read(v[k].slot, dst, &v[k]) == 0)
				v[k].stale = 0;	/* gone: keep what we had */
	}
	if (stale > 0)
		log_debug(16, 2, "%zu kid(s) did not publish within %d ms: "
		    "their last pages are shown", stale, MGR_KIDS_WAIT_MS);
}

/* The other kids' latest publications of this generation, and ours. */
static size_t
mgr_kids_collect(struct mgr_kids_part **parts)
{
	unsigned nslots = mgr_share_slots(heritage.mgr_share);
	struct mgr_kids_part *v = xcalloc((size_t)nslots + 1, sizeof(*v));
	char *dst = xmalloc(MGR_SHARE_SECTION_MAX);
	size_t n = 0;

	v[n++].kid = heritage.kid;
	for (unsigned s = 0; s < nslots; s++)
		if ((int)s != heritage.mgr_slot && mgr_kids_read(s, dst, &v[n]))
			n++;
	mgr_kids_freshen(v, n, dst);
	free(dst);
	qsort(v, n, sizeof(*v), mgr_kids_cmp);
	*parts = v;
	return n;
}

int
mgr_kids_page(size_t i, struct buf *out)
{
	struct mgr_kids_part *parts = NULL;
	struct buf own;
	size_t n = 1;

	buf_init(&own);
	if (mgr_kids_pages[i](&own) == -1) {
		buf_free(&own);
		return -1;
	}
	if (heritage.mgr_share != NULL) {
		mgr_kids_publish();	/* the others see what we answer */
		n = mgr_kids_collect(&parts);
	}
	for (size_t k = 0; k < n; k++) {
		const char *text = buf_head(&own);
		size_t len = buf_avail(&own);
		int kid = parts != NULL ? parts[k].kid : heritage.kid;

		if (parts != NULL && parts[k].blob != NULL &&
		    mgr_kids_find(parts[k].blob, parts[k].len, i, &text,
		    &len) == -1)
			continue;
		buf_printf(out, "by kid%d {\n", kid);
		buf_append(out, text, len);
		buf_printf(out, "} by kid%d\n\n", kid);
	}
	for (size_t k = 0; parts != NULL && k < n; k++)
		free(parts[k].blob);
	free(parts);
	buf_free(&own);
	return 0;
}
