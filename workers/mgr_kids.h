/*
 * mgr_kids: every worker's part of a per-kid cache manager page, as Squid's
 * coordinator collects them in SMP mode.  Each worker publishes its pages
 * into the area the master shares (mgr_share.h) whenever its helper
 * statistics change; the kid that answers renders its own part live and
 * every other kid's from there, in kid order.  Called by mgr.c only.
 */
#ifndef CUTTLE_MGR_KIDS_H
#define CUTTLE_MGR_KIDS_H

#include <stddef.h>

struct buf;

/* A page's body, or -1 when the action is not registered here. */
typedef int mgr_kids_page_fn(struct buf *out);

/*
 * At worker start: publish pages[0..n) now and whenever the helper
 * statistics move.  Nothing to do without a shared area (one worker).
 */
void mgr_kids_start(mgr_kids_page_fn *const *pages, size_t n);
/* Another kid asked for our pages (SIGURG): publish them if they moved. */
void mgr_kids_wanted(void);
/*
 * Page i of every live kid of this worker generation, each framed
 * "by kidN {" ... "} by kidN" as Squid frames a kid's part; -1 when this
 * kid does not register the action (nothing appended).
 */
int mgr_kids_page(size_t i, struct buf *out);

#endif
