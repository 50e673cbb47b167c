/*
 * The event loop of a process: level-triggered epoll over descriptors, a
 * binary heap of millisecond timers, and a cached monotonic clock.  One loop
 * per process; callbacks never block.
 */
#ifndef CUTTLE_EVLOOP_H
#define CUTTLE_EVLOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct ev_io;
typedef void ev_io_cb(struct ev_io *io, uint32_t revents);

struct ev_io {
	int		 fd;
	uint32_t	 events;	/* EPOLLIN / EPOLLOUT currently watched */
	int		 added;
	ev_io_cb	*cb;
	void		*arg;
};

struct ev_timer;
typedef void ev_timer_cb(struct ev_timer *t);

struct ev_timer {
	uint64_t	 when;		/* monotonic ms */
	int		 idx;		/* heap slot, -1 when not armed */
	ev_timer_cb	*cb;
	void		*arg;
};

int evloop_init(void);
/*
 * Free p after the current batch of events: an object closed by one callback
 * may still have an event pending later in the same batch.
 */
void ev_defer_free(void *p);
void evloop_run(void);
/*
 * Run fn before each wait for events (flush buffered output, publish
 * statistics) until it is removed; adding it twice adds it once.
 */
void ev_batch_hook_add(void (*fn)(void));
void ev_batch_hook_del(void (*fn)(void));
void evloop_stop(void);
/*
 * Count each wait for events (Squid's select_loops) in *counter, which
 * the caller owns (a shared counter: mgr:counters); NULL: a private one.
 */
void ev_count_loops(uint64_t *counter);
uint64_t ev_now(void);		/* monotonic ms, updated each iteration */
void ev_update_now(void);

/*
 * Set up a watcher in fresh memory.  Never on a watcher that is still
 * added: stop it first (ev_io_stop), or hand it over with ev_io_set_cb.
 */
void ev_io_init(struct ev_io *io, int fd, ev_io_cb *cb, void *arg);
/* Watch exactly these events (0: none); adds, modifies or removes. */
int ev_io_set(struct ev_io *io, uint32_t events);
/* Hand a watched descriptor to another handler. */
static inline void
ev_io_set_cb(struct ev_io *io, ev_io_cb *cb, void *arg)
{
	io->cb = cb;
	io->arg = arg;
}
/* Stop watching before close(fd). */
void ev_io_stop(struct ev_io *io);
/* Flag exclusive wakeups (EPOLLEXCLUSIVE) for shared listening sockets. */
int ev_io_add_exclusive(struct ev_io *io, uint32_t events);

/*
 * Set up a timer in fresh memory.  A timer that is still armed is stopped
 * first, so the heap never keeps a pointer the owner believes unused; to
 * give a live timer another job use ev_timer_set_cb.
 */
void ev_timer_init(struct ev_timer *t, ev_timer_cb *cb, void *arg);
/* Give a timer another callback; it stays armed or not as it was. */
static inline void
ev_timer_set_cb(struct ev_timer *t, ev_timer_cb *cb)
{
	t->cb = cb;
}
/* Arm (or re-arm) a timer; it must have a callback. */
void ev_timer_start(struct ev_timer *t, uint64_t after_ms);
void ev_timer_stop(struct ev_timer *t);
static inline int ev_timer_armed(const struct ev_timer *t) { return t->idx >= 0; }

#endif
