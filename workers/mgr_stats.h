/*
 * The cache manager's mgr:counters and mgr:info pages (Squid 5.7's
 * layout), summed over every kid.  Each returns 0 with the body in out.
 */
#ifndef CUTTLE_MGR_STATS_H
#define CUTTLE_MGR_STATS_H

struct buf;

int mgr_stats_counters(struct buf *out);
int mgr_stats_info(struct buf *out);

#endif
