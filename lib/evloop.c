/*
 * epoll event loop with a timer heap.  Level-triggered so a callback that
 * stops early (back-pressure) is simply called again later.
 */
#include "config.h"
#include "evloop.h"
#include "log.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ev_epfd = -1;
static int ev_running;
static uint64_t ev_loops_private;
static uint64_t *ev_loops = &ev_loops_private;
static uint64_t ev_now_cache;
static struct ev_timer **ev_heap;
static int ev_nheap, ev_capheap;
/* Hooks run before each wait; few modules need one (access.log, mgr). */
#define EV_BATCH_HOOKS_MAX	4
static void (*ev_batch_hooks[EV_BATCH_HOOKS_MAX])(void);
static void **ev_graveyard;
static int ev_ngrave, ev_capgrave;

void
ev_defer_free(void *p)
{
	if (ev_ngrave == ev_capgrave) {
		ev_capgrave = ev_capgrave ? ev_capgrave * 2 : 64;
		ev_graveyard = xrealloc(ev_graveyard,
		    ev_capgrave * sizeof(*ev_graveyard));
	}
	ev_graveyard[ev_ngrave++] = p;
}

static void
ev_bury(void)
{
	for (int i = 0; i < ev_ngrave; i++)
		free(ev_graveyard[i]);
	ev_ngrave = 0;
}

int
evloop_init(void)
{
	if (ev_epfd != -1)
		close(ev_epfd);
	ev_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ev_epfd == -1) {
		log_err("epoll_create1");
		return -1;
	}
	ev_update_now();
	return 0;
}

uint64_t
ev_now(void)
{
	return ev_now_cache;
}

void
ev_update_now(void)
{
	ev_now_cache = util_now_ms();
}

void
ev_io_init(struct ev_io *io, int fd, ev_io_cb *cb, void *arg)
{
	io->fd = fd;
	io->events = 0;
	io->added = 0;
	io->cb = cb;
	io->arg = arg;
}

int
ev_io_set(struct ev_io *io, uint32_t events)
{
	struct epoll_event ev;

	if (io->added && events == io->events)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = io;
	if (!io->added) {
		if (events == 0)
			return 0;
		if (epoll_ctl(ev_epfd, EPOLL_CTL_ADD, io->fd, &ev) == -1) {
			log_err("epoll_ctl add fd %d", io->fd);
			return -1;
		}
		io->added = 1;
	} else if (epoll_ctl(ev_epfd, EPOLL_CTL_MOD, io->fd, &ev) == -1) {
		log_err("epoll_ctl mod fd %d", io->fd);
		return -1;
	}
	io->events = events;
	return 0;
}

int
ev_io_add_exclusive(struct ev_io *io, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events | EPOLLEXCLUSIVE;
	ev.data.ptr = io;
	if (epoll_ctl(ev_epfd, EPOLL_CTL_ADD, io->fd, &ev) == -1) {
		log_err("epoll_ctl add exclusive fd %d", io->fd);
		return -1;
	}
	io->added = 1;
	io->events = events;
	return 0;
}

void
ev_io_stop(struct ev_io *io)
{
	if (io->added) {
		epoll_ctl(ev_epfd, EPOLL_CTL_DEL, io->fd, NULL);
		io->added = 0;
		io->events = 0;
	}
}

/* Timer heap ordered by when. */
static void
ev_heap_swap(int a, int b)
{
	struct ev_timer *t = ev_heap[a];

	ev_heap[a] = ev_heap[b];
	ev_heap[b] = t;
	ev_heap[a]->idx = a;
	ev_heap[b]->idx = b;
}

static void
ev_heap_up(int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;
		if (ev_heap[p]->when <= ev_heap[i]->when)
			break;
		ev_heap_swap(p, i);
		i = p;
	}
}

static void
ev_heap_down(int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < ev_nheap && ev_heap[l]->when < ev_heap[m]->when)
			m = l;
		if (r < ev_nheap && ev_heap[r]->when < ev_heap[m]->when)
			m = r;
		if (m == i)
			break;
		ev_heap_swap(i, m);
		i = m;
	}
}

/*
 * True when t sits in the heap.  Reads only t->idx and the heap, so it is
 * safe on memory that never held a timer (calloc'd or recycled).
 */
static int
ev_timer_in_heap(const struct ev_timer *t)
{
	return t->idx >= 0 && t->idx < ev_nheap && ev_heap[t->idx] == t;
}

void
ev_timer_init(struct ev_timer *t, ev_timer_cb *cb, void *arg)
{
	/* re-initialising an armed timer used to leave it in the heap */
	if (ev_timer_in_heap(t))
		ev_timer_stop(t);
	t->when = 0;
	t->idx = -1;
	t->cb = cb;
	t->arg = arg;
}

void
ev_timer_stop(struct ev_timer *t)
{
	int i = t->idx;

	if (i < 0)
		return;
	/* a heap slot that is not ours means the timer was corrupted or freed */
	if (i >= ev_nheap || ev_heap[i] != t)
		log_bug("ev_timer_stop: timer %p is not in slot %d", (void *)t, i);
	t->idx = -1;
	ev_nheap--;
	if (i != ev_nheap) {
		ev_heap[i] = ev_heap[ev_nheap];
		ev_heap[i]->idx = i;
		ev_heap_up(i);
		ev_heap_down(ev_heap[i]->idx);
	}
}

void
ev_timer_start(struct ev_timer *t, uint64_t after_ms)
{
	if (t->cb == NULL)
		log_bug("ev_timer_start: timer %p has no callback", (void *)t);
	ev_timer_stop(t);
	if (ev_nheap == ev_capheap) {
		ev_capheap = ev_capheap ? ev_capheap * 2 : 64;
		ev_heap = xrealloc(ev_heap, ev_capheap * sizeof(*ev_heap));
	}
	t->when = ev_now_cache + after_ms;
	t->idx = ev_nheap;
	ev_heap[ev_nheap++] = t;
	ev_heap_up(t->idx);
}

static void
ev_run_timers(void)
{
	while (ev_nheap > 0 && ev_heap[0]->when <= ev_now_cache) {
		struct ev_timer *t = ev_heap[0];
		ev_timer_stop(t);
		t->cb(t);
	}
}

void
ev_batch_hook_add(void (*fn)(void))
{
	int free_at = -1;

	for (int i = 0; i < EV_BATCH_HOOKS_MAX; i++) {
		if (ev_batch_hooks[i] == fn)
			return;
		if (ev_batch_hooks[i] == NULL && free_at == -1)
			free_at = i;
	}
	assert(free_at != -1);
	ev_batch_hooks[free_at] = fn;
}

void
ev_batch_hook_del(void (*fn)(void))
{
	for (int i = 0; i < EV_BATCH_HOOKS_MAX; i++)
		if (ev_batch_hooks[i] == fn)
			ev_batch_hooks[i] = NULL;
}

/* A hook may remove itself (or add another) while they run. */
static void
ev_run_batch_hooks(void)
{
	for (int i = 0; i < EV_BATCH_HOOKS_MAX; i++)
		if (ev_batch_hooks[i] != NULL)
			ev_batch_hooks[i]();
}

void
evloop_stop(void)
{
	ev_running = 0;
}

void
ev_count_loops(uint64_t *counter)
{
	ev_loops = counter != NULL ? counter : &ev_loops_private;
}

void
evloop_run(void)
{
	struct epoll_event evs[256];

	ev_running = 1;
	while (ev_running) {
		int timeout = -1;

		ev_update_now();
		ev_run_timers();
		ev_bury();
		ev_run_batch_hooks();
		if (!ev_running)
			break;
		if (ev_nheap > 0) {
			uint64_t d = ev_heap[0]->when - ev_now_cache;
			timeout = d > 60000 ? 60000 : (int)d;
		}
		int n = epoll_wait(ev_epfd, evs, 256, timeout);
		(*ev_loops)++;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		ev_update_now();
		for (int i = 0; i < n; i++) {
			struct ev_io *io = evs[i].data.ptr;
			/* stopped by an earlier callback of this batch */
			if (!io->added)
				continue;
			io->cb(io, evs[i].events);
		}
		ev_bury();
	}
}
