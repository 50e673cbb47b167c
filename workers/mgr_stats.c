/*
 * mgr:counters and mgr:info: Squid 5.7's "Traffic and Resource Counters"
 * and "General Runtime Information" pages (its stat.cc statCountersDump
 * and DumpInfo), line for line and in its order, from every kid's
 * counters (stat_share.h) summed as Squid's coordinator sums its kids'
 * (Mgr::CountersActionData and InfoActionData's operator +=).  Whichever
 * kid takes the request reads the others' slots: no message to them.
 *
 * What cuttle does not have is printed as Squid prints it at rest, 0:
 * ICP, HTCP and cache digest traffic, unlinkd, swap.outs and
 * swap.files_cleaned, aborted_requests, the server.*.errors lines (Squid
 * 5.7 never counts those either), FTP and the memory pool lines.  cuttle
 * keeps no 5- and 60-minute history: the ratios a Squid computes over the
 * last 5 and 60 minutes are computed since start, and the median service
 * times and 5/60 minute CPU averages are 0.
 */
#include "config.h"
#include "mgr_stats.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "heritage.h"
#include "http_date.h"
#include "memcache.h"
#include "stat_share.h"
#include "store_gauge.h"
#include "worker.h"

/* Every kid's counts, summed; KB as Squid sums them (each kid's whole KB). */
struct mgr_stats {
	struct stat_counters c;		/* byte fields unused: see kb */
	uint64_t	 kb_client_in, kb_client_out, kb_client_hit_out;
	uint64_t	 kb_all_in, kb_all_out, kb_http_in, kb_http_out;
	uint64_t	 kb_other_in, kb_other_out;
	int		 kids;		/* live kids */
	int64_t		 started_ms;	/* the earliest live kid's start */
	double		 cpu_time;	/* seconds, live kids */
	double		 maxrss_kb;
	double		 page_faults;
	double		 fds;		/* open, where readable */
	double		 biggest_fd;	/* the largest of any kid's */
	double		 wall_time;	/* Squid's: since each sample_time */
	struct timeval	 now;
	struct timeval	 sample;	/* the latest kid's sample_time */
};

/* A kid's CPU seconds and major faults from /proc (another kid's). */
static void
mgr_stats_proc(pid_t pid, struct mgr_stats *st)
{
	char path[64], line[1024], *p;
	unsigned long majflt, utime, stime;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) != NULL) {
		/* after the command, which may hold spaces: field 3 on */
		if (fgets(line, sizeof(line), f) != NULL &&
		    (p = strrchr(line, ')')) != NULL &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %lu "
		    "%*u %lu %lu", &majflt, &utime, &stime) == 3) {
			st->page_faults += (double)majflt;
			st->cpu_time += (double)(utime + stime) /
			    (double)sysconf(_SC_CLK_TCK);
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) != NULL) {
		unsigned long kb;
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "VmHWM: %lu kB", &kb) == 1)
				st->maxrss_kb += (double)kb;
		fclose(f);
	}
}

/*
 * Descriptors pid has open and the largest, as Squid sums Number_FD and
 * takes the largest Biggest_FD; nothing when its fd directory is not ours
 * to read.  Our own directory's descriptor is not counted.
 */
static void
mgr_stats_fds(pid_t pid, struct mgr_stats *st)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int self = pid == getpid();

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		double fd = strtod(e->d_name, NULL);
		if (self && (int)fd == dirfd(d))
			continue;
		st->fds++;
		if (fd > st->biggest_fd)
			st->biggest_fd = fd;
	}
	closedir(d);
}

/* One kid's share: its counts, and CPU from rusage (us) or /proc. */
static void
mgr_stats_add(struct mgr_stats *st, const struct stat_counters *c,
    const struct stat_share_kid *k, int self)
{
	uint64_t *sum = (uint64_t *)&st->c;
	const uint64_t *one = (const uint64_t *)c;

	for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		sum[i] += one[i];
	st->kb_client_in += stat_share_kb(c->client_bytes_in);
	st->kb_client_out += stat_share_kb(c->client_bytes_out);
	st->kb_client_hit_out += stat_share_kb(c->client_hit_bytes_out);
	st->kb_all_in += stat_share_kb(c->server_http_bytes_in +
	    c->server_other_bytes_in);
	st->kb_all_out += stat_share_kb(c->server_http_bytes_out +
	    c->server_other_bytes_out);
	st->kb_http_in += stat_share_kb(c->server_http_bytes_in);
	st->kb_http_out += stat_share_kb(c->server_http_bytes_out);
	st->kb_other_in += stat_share_kb(c->server_other_bytes_in);
	st->kb_other_out += stat_share_kb(c->server_other_bytes_out);
	if (k->pid == 0 && !self)
		return;		/* a kid gone: its counts, nothing else */
	st->kids++;
	if (st->started_ms == 0 || k->started_ms < st->started_ms)
		st->started_ms = k->started_ms;
	/*
	 * Squid's sample_time is when the kid last took its minute's sample
	 * (statAvgTick, every 60 s from its start); wall_time is how long
	 * ago that was, summed over kids.
	 */
	int64_t now_ms = (int64_t)st->now.tv_sec * 1000 +
	    st->now.tv_usec / 1000;
	int64_t age = k->started_ms > 0 && now_ms > k->started_ms ?
	    (now_ms - k->started_ms) % 60000 : 0;
	int64_t sample_ms = now_ms - age;
	struct timeval sample = { (time_t)(sample_ms / 1000),
	    (suseconds_t)(sample_ms % 1000) * 1000 };
	if (timercmp(&st->sample, &sample, <))
		st->sample = sample;
	st->wall_time += (double)age / 1000.0;
	if (self) {
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		st->cpu_time += (double)ru.ru_utime.tv_sec +
		    (double)ru.ru_stime.tv_sec +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
		st->maxrss_kb += (double)ru.ru_maxrss;
		st->page_faults += (double)ru.ru_majflt;
	} else
		mgr_stats_proc(k->pid, st);
	mgr_stats_fds(self ? getpid() : k->pid, st);
}

static void
mgr_stats_collect(struct mgr_stats *st)
{
	unsigned n = stat_share_slots(heritage.stat_share);
	struct stat_counters c;
	struct stat_share_kid k;

	memset(st, 0, sizeof(*st));
	gettimeofday(&st->now, NULL);
	if (n == 0) {
		/* no shared area: this kid alone */
		k.pid = getpid();
		k.started_ms = worker_start_ms();
		mgr_stats_add(st, heritage.counters, &k, 1);
		return;
	}
	for (unsigned s = 0; s < n; s++) {
		int self = (int)s == heritage.stat_slot;
		stat_share_read(heritage.stat_share, s, &c, &k);
		if (self)
			k.started_ms = worker_start_ms();
		mgr_stats_add(st, &c, &k, self);
	}
}

int
mgr_stats_counters(struct buf *out)
{
	struct mgr_stats st;
	char date[64];

	mgr_stats_collect(&st);
	http_date_format(st.sample.tv_sec, date, sizeof(date));
	/* Squid prints the microseconds with %d: not zero-padded */
	buf_printf(out, "sample_time = %d.%d (%s)\n", (int)st.sample.tv_sec,
	    (int)st.sample.tv_usec, date);
	buf_printf(out, "client_http.requests = %llu\n"
	    "client_http.hits = %llu\n"
	    "client_http.errors = %llu\n"
	    "client_http.kbytes_in = %llu\n"
	    "client_http.kbytes_out = %llu\n"
	    "client_http.hit_kbytes_out = %llu\n",
	    (unsigned long long)st.c.client_requests,
	    (unsigned long long)st.c.client_hits,
	    (unsigned long long)st.c.client_errors,
	    (unsigned long long)st.kb_client_in,
	    (unsigned long long)st.kb_client_out,
	    (unsigned long long)st.kb_client_hit_out);
	buf_printf(out, "server.all.requests = %llu\n"
	    "server.all.errors = 0\n"
	    "server.all.kbytes_in = %llu\n"
	    "server.all.kbytes_out = %llu\n",
	    (unsigned long long)(st.c.server_http_requests +
	    st.c.server_other_requests),
	    (unsigned long long)st.kb_all_in,
	    (unsigned long long)st.kb_all_out);
	buf_printf(out, "server.http.requests = %llu\n"
	    "server.http.errors = 0\n"
	    "server.http.kbytes_in = %llu\n"
	    "server.http.kbytes_out = %llu\n",
	    (unsigned long long)st.c.server_http_requests,
	    (unsigned long long)st.kb_http_in,
	    (unsigned long long)st.kb_http_out);
	buf_printf(out, "server.ftp.requests = 0\n"
	    "server.ftp.errors = 0\n"
	    "server.ftp.kbytes_in = 0\n"
	    "server.ftp.kbytes_out = 0\n");
	buf_printf(out, "server.other.requests = %llu\n"
	    "server.other.errors = 0\n"
	    "server.other.kbytes_in = %llu\n"
	    "server.other.kbytes_out = %llu\n",
	    (unsigned long long)st.c.server_other_requests,
	    (unsigned long long)st.kb_other_in,
	    (unsigned long long)st.kb_other_out);
	/* no ICP, no cache digests: Squid's lines, all 0 */
	static const char *const zero[] = {
		"icp.pkts_sent", "icp.pkts_recv", "icp.queries_sent",
		"icp.replies_sent", "icp.queries_recv", "icp.replies_recv",
		"icp.query_timeouts", "icp.replies_queued", "icp.kbytes_sent",
		"icp.kbytes_recv", "icp.q_kbytes_sent", "icp.r_kbytes_sent",
		"icp.q_kbytes_recv", "icp.r_kbytes_recv", "icp.times_used",
		"cd.times_used", "cd.msgs_sent", "cd.msgs_recv", "cd.memory",
		"cd.local_memory", "cd.kbytes_sent", "cd.kbytes_recv",
		"unlink.requests",
	};
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		buf_printf(out, "%s = 0\n", zero[i]);
	buf_printf(out, "page_faults = %.0f\n", st.page_faults);
	buf_printf(out, "select_loops = %llu\n",
	    (unsigned long long)st.c.select_loops);
	buf_printf(out, "cpu_time = %f\n", st.cpu_time);
	buf_printf(out, "wall_time = %f\n", st.wall_time);
	buf_printf(out, "swap.outs = 0\n");
	buf_printf(out, "swap.ins = %llu\n",
	    (unsigned long long)st.c.swap_ins);
	buf_printf(out, "swap.files_cleaned = 0\n");
	buf_printf(out, "aborted_requests = 0\n");
	return 0;
}

/* Squid's Math::doublePercent: a / b as a percentage, 0 when b is. */
static double
mgr_stats_pct(double a, double b)
{
	return b != 0.0 ? 100.0 * a / b : 0.0;
}

int
mgr_stats_info(struct buf *out)
{
	struct mgr_stats st;
	struct memcache_stats mem;
	struct rlimit rl;
	char date[64];

	mgr_stats_collect(&st);
	memset(&mem, 0, sizeof(mem));
	if (heritage.memcache != NULL)
		memcache_stats(heritage.memcache, &mem);
	struct store_gauge disk = store_gauge_sum(heritage.store_gauges,
	    (unsigned)heritage.nstores);
	double up = st.started_ms > 0 ? ((double)st.now.tv_sec * 1000.0 +
	    (double)st.now.tv_usec / 1000.0 - (double)st.started_ms) /
	    1000.0 : 0.0;
	double runtime = up > 0.0 ? up : 1.0;
	double req = (double)st.c.client_requests;
	double hits = (double)st.c.client_hits;
	double hit_pct = mgr_stats_pct(hits, req);
	double byte_pct = st.kb_client_out > st.kb_all_in ?
	    mgr_stats_pct((double)(st.kb_client_out - st.kb_all_in),
	    (double)st.kb_client_out) : 0.0;
	double mem_pct = mgr_stats_pct((double)st.c.client_mem_hits, hits);
	double disk_pct = mgr_stats_pct((double)st.c.client_disk_hits, hits);
	double max_fd = getrlimit(RLIMIT_NOFILE, &rl) == 0 ?
	    (double)rl.rlim_cur * (st.kids > 0 ? st.kids : 1) : 0.0;

	/*
	 * Squid's version line with cuttle's name and version in it:
	 * squidclient prints the page as it comes; monitoring scripts match
	 * "^Squid Object Cache: Version (.+)$" and keep the rest as text.
	 */
	buf_printf(out, "Squid Object Cache: Version %s\n",
	    PACKAGE_NAME "/" PACKAGE_VERSION);
	buf_printf(out, "Build Info: %s\n", PACKAGE_STRING);
	buf_printf(out, "Service Name: squid\n");
	http_date_format((time_t)(st.started_ms / 1000), date, sizeof(date));
	buf_printf(out, "Start Time:\t%s\n", date);
	http_date_format(st.now.tv_sec, date, sizeof(date));
	buf_printf(out, "Current Time:\t%s\n", date);
	buf_printf(out, "Connection information for squid:\n");
	/* cuttle keeps no client database (Squid's client_db off) */
	buf_printf(out, "\tNumber of clients accessing cache:\t"
	    "(client_db off)\n");
	buf_printf(out, "\tNumber of HTTP requests received:\t%.0f\n", req);
	buf_printf(out, "\tNumber of ICP messages received:\t0\n"
	    "\tNumber of ICP messages sent:\t0\n"
	    "\tNumber of queued ICP replies:\t0\n"
	    "\tNumber of HTCP messages received:\t0\n"
	    "\tNumber of HTCP messages sent:\t0\n");
	buf_printf(out, "\tRequest failure ratio:\t%5.2f\n", 0.0);
	buf_printf(out, "\tAverage HTTP requests per minute since start:\t"
	    "%.1f\n", req / (runtime / 60.0));
	buf_printf(out, "\tAverage ICP messages per minute since start:\t"
	    "%.1f\n", 0.0);
	buf_printf(out, "\tSelect loop called: %.0f times, %0.3f ms avg\n",
	    (double)st.c.select_loops, st.c.select_loops > 0 ?
	    1000.0 * runtime / (double)st.c.select_loops : 0.0);
	buf_printf(out, "Cache information for squid:\n");
	buf_printf(out, "\tHits as %% of all requests:\t5min: %3.1f%%, "
	    "60min: %3.1f%%\n", hit_pct, hit_pct);
	buf_printf(out, "\tHits as %% of bytes sent:\t5min: %3.1f%%, "
	    "60min: %3.1f%%\n", byte_pct, byte_pct);
	buf_printf(out, "\tMemory hits as %% of hit requests:\t5min: "
	    "%3.1f%%, 60min: %3.1f%%\n", mem_pct, mem_pct);
	buf_printf(out, "\tDisk hits as %% of hit requests:\t5min: "
	    "%3.1f%%, 60min: %3.1f%%\n", disk_pct, disk_pct);
	buf_printf(out, "\tStorage Swap size:\t%.0f KB\n",
	    (double)disk.bytes / 1024.0);
	buf_printf(out, "\tStorage Swap capacity:\t%4.1f%% used, %4.1f%% "
	    "free\n", mgr_stats_pct((double)disk.bytes,
	    (double)disk.capacity), disk.capacity > disk.bytes ?
	    mgr_stats_pct((double)(disk.capacity - disk.bytes),
	    (double)disk.capacity) : 0.0);
	buf_printf(out, "\tStorage Mem size:\t%.0f KB\n",
	    (double)mem.bytes_used / 1024.0);
	buf_printf(out, "\tStorage Mem capacity:\t%4.1f%% used, %4.1f%% "
	    "free\n", mgr_stats_pct((double)mem.bytes_used,
	    (double)mem.bytes_total), mem.bytes_total > 0 ?
	    mgr_stats_pct((double)(mem.bytes_total - mem.bytes_used),
	    (double)mem.bytes_total) : 0.0);
	buf_printf(out, "\tMean Object Size:\t%0.2f KB\n", disk.objects > 0 ?
	    (double)disk.bytes / (double)disk.objects / 1024.0 : 0.0);
	buf_printf(out, "\tRequests given to unlinkd:\t0\n");
	buf_printf(out, "Median Service Times (seconds)  5 min    60 min:\n");
	static const char *const svc[] = {
		"HTTP Requests (All):  ", "Cache Misses:         ",
		"Cache Hits:           ", "Near Hits:            ",
		"Not-Modified Replies: ", "DNS Lookups:          ",
		"ICP Queries:          ",
	};
	for (size_t i = 0; i < sizeof(svc) / sizeof(svc[0]); i++)
		buf_printf(out, "\t%s%8.5f %8.5f\n", svc[i], 0.0, 0.0);
	buf_printf(out, "Resource usage for squid:\n");
	buf_printf(out, "\tUP Time:\t%.3f seconds\n", up);
	buf_printf(out, "\tCPU Time:\t%.3f seconds\n", st.cpu_time);
	buf_printf(out, "\tCPU Usage:\t%.2f%%\n",
	    mgr_stats_pct(st.cpu_time, runtime));
	buf_printf(out, "\tCPU Usage, 5 minute avg:\t%.2f%%\n", 0.0);
	buf_printf(out, "\tCPU Usage, 60 minute avg:\t%.2f%%\n", 0.0);
	buf_printf(out, "\tMaximum Resident Size: %.0f KB\n", st.maxrss_kb);
	buf_printf(out, "\tPage faults with physical i/o: %.0f\n",
	    st.page_faults);
	buf_printf(out, "Memory accounted for:\n");
	buf_printf(out, "\tTotal accounted:       %6.0f KB\n", 0.0);
	buf_printf(out, "\tmemPoolAlloc calls: %9.0f\n", 0.0);
	buf_printf(out, "\tmemPoolFree calls:  %9.0f\n", 0.0);
	buf_printf(out, "File descriptor usage for squid:\n");
	buf_printf(out, "\tMaximum number of file descriptors:   %4.0f\n",
	    max_fd);
	buf_printf(out, "\tLargest file desc currently in use:   %4.0f\n",
	    st.biggest_fd);
	buf_printf(out, "\tNumber of file desc currently in use: %4.0f\n",
	    st.fds);
	buf_printf(out, "\tFiles queued for open:                %4.0f\n",
	    0.0);
	buf_printf(out, "\tAvailable number of file descriptors: %4.0f\n",
	    max_fd > st.fds ? max_fd - st.fds : 0.0);
	buf_printf(out, "\tReserved number of file descriptors:  %4.0f\n",
	    0.0);
	buf_printf(out, "\tStore Disk files open:                %4.0f\n",
	    0.0);
	buf_printf(out, "Internal Data Structures:\n");
	buf_printf(out, "\t%6.0f StoreEntries\n", (double)mem.objects);
	buf_printf(out, "\t%6.0f StoreEntries with MemObjects\n",
	    (double)mem.objects);
	buf_printf(out, "\t%6.0f Hot Object Cache Items\n",
	    (double)mem.objects);
	buf_printf(out, "\t%6.0f on-disk objects\n", (double)disk.objects);
	return 0;
}
