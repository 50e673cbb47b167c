/*
 * store: the process that owns one cache_dir.  Its invariant is that an
 * index entry never names a file that is not a complete object.  Workers
 * write new objects into DIR/tmp; a commit checks the record, renames the
 * file into the L1/L2 tree and only then indexes it; a delete unlinks the
 * file before the index entry goes.  Whatever a kill -9 interrupts is
 * therefore either an orphan temp file, a complete file missing from the
 * index, or an entry whose file is gone, and the start-up check repairs all
 * three.  Lookups are answered from an in-memory table that also orders the
 * objects for cache_replacement_policy; GDBM keeps that table across
 * restarts and is rebuilt from the files when it is damaged.
 */
#include "config.h"
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"
#include "log.h"
#include "store_gauge.h"
#include "store_index.h"
#include "store_proto.h"
#include "store_record.h"
#include "util.h"


/*
 * The master's control socket: each message carries the store's end of a
 * new worker's socketpair.  The master closing it means the store is done.
 */
static void
store_ctl_io(struct ev_io *io, uint32_t revents)
{
	struct store *st = io->arg;

	for (;;) {
		char b;
		int fd = -1;
		ssize_t n = store_proto_recv(io->fd, &b, sizeof(b), &fd);
		if (n > 0 && fd != -1) {
			store_conn_add(st, fd);
			continue;
		}
		if (fd != -1)
			close(fd);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n == 0 || n == -1) {
			log_info("store %s: the master went away; exiting",
			    st->cd->path);
			evloop_stop();
			return;
		}
	}
}

void
store_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGUSR2);
}

static void
store_signal_io(struct ev_io *io, uint32_t revents)
{
	const struct store *st = io->arg;
	struct signalfd_siginfo si;

	while (read(io->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			log_reopen(st->cfg->cache_log);
		else if (si.ssi_signo == SIGUSR2)
			log_toggle_full_debug(st->cfg->debug_options);
	}
}

/* What this store holds, for mgr:info */

static struct store_gauge *store_gauge_mine;

void
store_set_gauge(struct store_gauge *g)
{
	store_gauge_mine = g;
}

void
store_publish(const struct store *st)
{
	if (store_gauge_mine == NULL)
		return;
	store_gauge_mine->objects = st->nobj;
	store_gauge_mine->bytes = st->bytes;
	store_gauge_mine->capacity = st->max;
}

/* Entry points */

int
store_main(const struct cfg *cfg, const struct cfg_cache_dir *cd,
    int *socks, int nsocks, int ctl)
{
	struct store *st = xcalloc(1, sizeof(*st));
	int low = cfg->cache_swap_low, high = cfg->cache_swap_high;

	st->cfg = cfg;
	st->cd = cd;
	st->max = (uint64_t)cd->max_size;
	/*
	 * Squid replaces above cache_swap_low and aims to stay near it,
	 * harder as usage nears cache_swap_high.  Every commit here evicts
	 * down to the low mark at once, so the high mark only caps it.
	 */
	if (low > high)
		low = high;
	st->low = st->max / 100 * (uint64_t)low;
	st->max_obj = cd->max_obj_size >= 0 ? cd->max_obj_size :
	    cfg->maximum_object_size;
	if (st->max_obj <= 0 || (uint64_t)st->max_obj > st->max)
		st->max_obj = (int64_t)st->max;
	st->min_obj = cd->min_size > cfg->minimum_object_size ?
	    cd->min_size : cfg->minimum_object_size;
	/* tokens of a previous store on the same sockets must not match */
	st->next_token = (uint32_t)(time(NULL) * 2654435761u) ^
	    (uint32_t)getpid() << 16;
	if (evloop_init() == -1)
		return 1;
	ev_timer_init(&st->reindex_timer, store_obj_reindex_cb, st);
	ev_timer_init(&store_conn_wait_timer, store_conn_wait_expire, NULL);
	if (store_load(st) == -1)
		return 1;
	store_publish(st);
	st->conns = xcalloc((size_t)nsocks, sizeof(*st->conns));
	st->nconns = nsocks;
	for (int i = 0; i < nsocks; i++) {
		struct store_conn *c = &st->conns[i];

		c->st = st;
		c->qtail = &c->qhead;
		util_set_nonblock(socks[i]);
		ev_io_init(&c->io, socks[i], store_conn_io, c);
		ev_io_set(&c->io, EPOLLIN);
	}
	sigset_t sigs;
	struct ev_io sig_io;
	int sfd;
	store_signals(&sigs);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	if ((sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		log_err("store %s: signalfd", cd->path);
		return 1;
	}
	ev_io_init(&sig_io, sfd, store_signal_io, st);
	ev_io_set(&sig_io, EPOLLIN);
	struct ev_io ctl_io;
	if (ctl != -1) {
		util_set_nonblock(ctl);
		ev_io_init(&ctl_io, ctl, store_ctl_io, st);
		ev_io_set(&ctl_io, EPOLLIN);
	}
	evloop_run();
	return 0;
}

int
store_create_dirs(const struct cfg_cache_dir *cd)
{
	char path[PATH_MAX];
	struct store_index *idx;
	const char *why;

	if (mkdir(cd->path, 0755) == -1 && errno != EEXIST) {
		log_err("cache_dir %s: mkdir", cd->path);
		return -1;
	}
	log_info("Creating missing swap directories");
	for (int a = 0; a < cd->l1; a++) {
		snprintf(path, sizeof(path), "%s/%02X", cd->path, a);
		log_info("Making directories in %s", path);
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			log_err("cache_dir %s: mkdir %s", cd->path, path);
			return -1;
		}
		for (int b = 0; b < cd->l2; b++) {
			snprintf(path, sizeof(path), "%s/%02X/%02X", cd->path,
			    a, b);
			if (mkdir(path, 0755) == -1 && errno != EEXIST) {
				log_err("cache_dir %s: mkdir %s", cd->path,
				    path);
				return -1;
			}
		}
	}
	snprintf(path, sizeof(path), "%s/tmp", cd->path);
	if (mkdir(path, 0755) == -1 && errno != EEXIST) {
		log_err("cache_dir %s: mkdir %s", cd->path, path);
		return -1;
	}
	store_file_index_path(cd, path, sizeof(path));
	if ((idx = store_index_open(path, 1, &why)) == NULL) {
		log_errx("cache_dir %s: cannot create %s: %s", cd->path, path,
		    why);
		return -1;
	}
	store_index_close(idx);
	return 0;
}
