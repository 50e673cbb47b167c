/*
 * helper_pool: helper children of one worker (squid-compat.md section 6).
 * Each child is fork+exec'd with stdin and stdout on one end of a
 * socketpair and stderr on cache.log, and inherits the worker's identity
 * (cache_effective_user).  Requests wait in the pool's queue until a child
 * has a free slot (one slot, or concurrency= slots tagged by channel IDs);
 * replies come back framed by the pool's framing hook and parsed by
 * helper_reply.  A child that exits is logged and replaced, following
 * Squid's "crashing too rapidly" rule, except that where Squid would die
 * the pool stops respawning and fails its requests instead.  With a
 * timeout (url_rewrite_timeout) and channel IDs, a request not answered in
 * time is resent or answered without its child, which keeps running.
 *
 * In DESIGN.md's data flow: http_access / auth / url_rewrite (the helpers
 * they ask).
 */
#include "config.h"
#include "helper_pool.h"
#include "helper_pool_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "evloop.h"
#include "heritage.h"
#include "log.h"
#include "util.h"
#include "worker.h"

#define HELPER_READ_CHUNK	(64 * 1024)
/* Squid's MAX_RETRIES: a request is resent after a BH or a timeout, on
 * the same count */
#define HELPER_MAX_RETRIES	2
#define HELPER_RAPID_MS		30000	/* Squid's "crashing too rapidly" window */
#define HELPER_BUSY_LOG_MS	30000
#define HELPER_REAP_MS		500

/* The child whose reply is being handed to a callback. */
static struct helper_proc *helper_answering;

static int helper_seq;
/* Bumped by every change a statistics page shows (helper_pool_changes). */
static uint64_t helper_changes;
static pid_t *helper_zombies;
static int helper_nzombies;
static struct ev_timer helper_reap_timer;
static int helper_reap_init;

static void helper_proc_io(struct ev_io *io, uint32_t revents);
static void helper_dispatch(struct helper_pool *p);

static const char *
helper_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static void
helper_reap(struct ev_timer *t)
{
	int n = 0;

	for (int i = 0; i < helper_nzombies; i++) {
		pid_t r = waitpid(helper_zombies[i], NULL, WNOHANG);
		if (r == 0)
			helper_zombies[n++] = helper_zombies[i];
	}
	helper_nzombies = n;
	if (n > 0)
		ev_timer_start(t, HELPER_REAP_MS);
}

/* Collect the exit status now or later: a worker has no SIGCHLD handler. */
static void
helper_reap_later(pid_t pid)
{
	if (waitpid(pid, NULL, WNOHANG) != 0)
		return;
	if (!helper_reap_init) {
		ev_timer_init(&helper_reap_timer, helper_reap, NULL);
		helper_reap_init = 1;
	}
	helper_zombies = xrealloc(helper_zombies, (size_t)(helper_nzombies + 1) *
	    sizeof(*helper_zombies));
	helper_zombies[helper_nzombies++] = pid;
	if (!ev_timer_armed(&helper_reap_timer))
		ev_timer_start(&helper_reap_timer, HELPER_REAP_MS);
}

/* In the child: become the helper program or exit. */
static void
helper_exec(struct helper_pool *p, int sock)
{
	sigset_t none;
	int errfd = log_get_fd();

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (heritage.kid == 0)
		setsid();	/* -N: keep the terminal's signals away, as Squid */
	if (dup2(sock, 0) == -1 || dup2(sock, 1) == -1)
		_exit(127);
	if (errfd != 2 && errfd >= 0)
		dup2(errfd, 2);
	if (close_range(3, ~0U, 0) == -1) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = 3; fd < max; fd++)
			close((int)fd);
	}
	execvp(p->argv[0], p->child_argv);
	fprintf(stderr, "ERROR: cannot execute %s: %s\n", p->argv[0],
	    strerror(errno));
	_exit(127);
}

static struct helper_proc *
helper_spawn(struct helper_pool *p)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_err("%s: socketpair", p->name);
		return NULL;
	}
	if ((pid = fork()) == -1) {
		log_err("%s: fork", p->name);
		close(sv[0]);
		close(sv[1]);
		return NULL;
	}
	if (pid == 0)
		helper_exec(p, sv[1]);
	close(sv[1]);
	util_set_nonblock(sv[0]);

	struct helper_proc *pr = xcalloc(1, sizeof(*pr));
	pr->pool = p;
	pr->fd = sv[0];
	pr->pid = pid;
	pr->index = ++helper_seq;
	buf_init(&pr->in);
	buf_init(&pr->out);
	ev_io_init(&pr->io, pr->fd, helper_proc_io, pr);
	ev_io_set(&pr->io, EPOLLIN);
	pr->next = p->procs;
	p->procs = pr;
	p->nprocs++;
	helper_changes++;
	log_debug(84, 1, "started %s #Hlpr%d (pid %ld)", p->name, pr->index,
	    (long)pid);
	return pr;
}

static void
helper_open_servers(struct helper_pool *p, int n)
{
	if (n <= 0)
		return;
	log_info("helperOpenServers: Starting %d/%d '%s' processes", n,
	    p->ch.n_max, helper_basename(p->argv[0]));
	p->last_restart = ev_now();
	for (int i = 0; i < n; i++)
		if (helper_spawn(p) == NULL)
			break;
}

const struct helper_framing helper_framing_certgen = {
	helper_frame_certgen, HELPER_NO_IDS | HELPER_SECRET
};

struct helper_pool *
helper_pool_start(const char *name, char *const *argv,
    const struct cfg_helper_children *ch, const struct helper_framing *framing)
{
	struct helper_pool *p = xcalloc(1, sizeof(*p));
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	if (argc == 0) {
		free(p);
		return NULL;
	}
	p->name = xstrdup(name);
	p->argv = xcalloc((size_t)argc + 1, sizeof(*p->argv));
	p->child_argv = xcalloc((size_t)argc + 1, sizeof(*p->child_argv));
	for (int i = 0; i < argc; i++) {
		p->argv[i] = xstrdup(argv[i]);
		p->child_argv[i] = i == 0 ?
		    xasprintf("(%s)", helper_basename(argv[0])) :
		    xstrdup(argv[i]);
	}
	p->ch = *ch;
	if (p->ch.n_max < 1)
		p->ch.n_max = 1;
	if (p->ch.queue_size < 0)
		p->ch.queue_size = 2 * p->ch.n_max;
	p->frame = framing != NULL ? framing->frame : helper_frame_line;
	p->flags = framing != NULL ? framing->flags : 0;
	if (p->flags & HELPER_NO_IDS)
		p->ch.concurrency = 0;
	ev_timer_init(&p->fail_timer, NULL, p);
	helper_open_servers(p, p->ch.n_startup < p->ch.n_max ?
	    p->ch.n_startup : p->ch.n_max);
	return p;
}

static void
helper_req_free(struct helper_req *r)
{
	ev_timer_stop(&r->timer);
	if (r->pool->flags & HELPER_SECRET)
		explicit_bzero(r->msg, r->len);
	free(r->msg);
	free(r->notes);
	free(r);
}

/* Answer r (no channel, no child) and free it. */
static void
helper_req_fail(struct helper_req *r)
{
	struct helper_reply rep;

	if (r->cb != NULL) {
		helper_reply_parse(&rep, "", 0);
		rep.result = HELPER_UNKNOWN;
		r->cb(r->arg, &rep, r->notes != NULL ? r->notes : "");
		helper_reply_free(&rep);
	}
	helper_req_free(r);
}

static void
helper_queue_unlink(struct helper_pool *p, struct helper_req *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		p->qhead = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		p->qtail = r->prev;
	r->next = r->prev = NULL;
	p->qlen--;
	helper_changes++;
}

static void
helper_queue_push(struct helper_pool *p, struct helper_req *r, int front)
{
	r->proc = NULL;
	if (front) {
		r->prev = NULL;
		r->next = p->qhead;
		if (p->qhead != NULL)
			p->qhead->prev = r;
		else
			p->qtail = r;
		p->qhead = r;
	} else {
		r->next = NULL;
		r->prev = p->qtail;
		if (p->qtail != NULL)
			p->qtail->next = r;
		else
			p->qhead = r;
		p->qtail = r;
	}
	p->qlen++;
	helper_changes++;
}

static void
helper_inflight_unlink(struct helper_proc *pr, struct helper_req *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		pr->head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		pr->tail = r->prev;
	r->next = r->prev = NULL;
	pr->load--;
	ev_timer_stop(&r->timer);
	helper_changes++;
}

static void
helper_fail_queued(struct ev_timer *t)
{
	struct helper_pool *p = t->arg;
	struct helper_req *r;

	while ((r = p->qhead) != NULL) {
		helper_queue_unlink(p, r);
		helper_req_fail(r);
	}
}

/* Forget a child: close, fail what it was answering, reap it later. */
static void
helper_proc_close(struct helper_proc *pr, int notify)
{
	struct helper_pool *p = pr->pool;
	struct helper_req *r;

	ev_io_stop(&pr->io);
	close(pr->fd);
	for (struct helper_proc **pp = &p->procs; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == pr) {
			*pp = pr->next;
			break;
		}
	p->nprocs--;
	helper_changes++;
	if (pr->hold != NULL)
		pr->hold->proc = NULL;
	if (helper_answering == pr)
		helper_answering = NULL;
	while ((r = pr->head) != NULL) {
		helper_inflight_unlink(pr, r);
		if (!notify)
			r->cb = NULL;
		helper_req_fail(r);
	}
	buf_free(&pr->in);
	buf_free(&pr->out);
	helper_reap_later(pr->pid);
	free(pr);
}

/* A child exited (EOF) or broke the protocol: replace it as Squid does. */
static void
helper_proc_died(struct helper_proc *pr)
{
	struct helper_pool *p = pr->pool;
	uint64_t replies = pr->replies;

	log_warnx("%s #Hlpr%d exited", p->name, pr->index);
	helper_proc_close(pr, 1);
	int need = p->ch.n_startup - p->nprocs;
	if (need > 0) {
		log_info("Too few %s processes are running (need %d/%d)",
		    p->name, need, p->ch.n_max);
		if (p->last_restart + HELPER_RAPID_MS > ev_now()) {
			log_errx("The %s helpers are crashing too rapidly, "
			    "need help!", p->name);
			if (replies < 1) {
				/* Squid dies here; we stop starting them */
				log_errx("%s: not starting more helpers; requests "
				    "to it fail until reconfigure", p->name);
				p->broken = 1;
				ev_timer_set_cb(&p->fail_timer,
				    helper_fail_queued);
				ev_timer_start(&p->fail_timer, 0);
				return;
			}
		}
		log_info("Starting new helpers");
		helper_open_servers(p, need);
	}
	helper_dispatch(p);
}

static int
helper_flush(struct helper_proc *pr)
{
	while (buf_avail(&pr->out) > 0) {
		ssize_t n = write(pr->fd, buf_head(&pr->out),
		    buf_avail(&pr->out));
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -1;
		}
		buf_consume(&pr->out, (size_t)n);
	}
	ev_io_set(&pr->io, EPOLLIN | (buf_avail(&pr->out) > 0 ? EPOLLOUT : 0));
	return 0;
}

static void
helper_send(struct helper_proc *pr, struct helper_req *r)
{
	struct helper_pool *p = pr->pool;

	r->proc = pr;
	r->sent_ms = ev_now();
	pr->uses++;
	p->requests++;
	helper_changes++;
	r->prev = pr->tail;
	r->next = NULL;
	if (pr->tail != NULL)
		pr->tail->next = r;
	else
		pr->head = r;
	pr->tail = r;
	pr->load++;
	if (p->timeout_ms > 0 && p->ch.concurrency > 0)
		ev_timer_start(&r->timer, p->timeout_ms);
	if (p->ch.concurrency > 0) {
		r->id = ++pr->next_id;
		buf_printf(&pr->out, "%llu ", (unsigned long long)r->id);
	}
	buf_append(&pr->out, r->msg, r->len);
	if (p->flags & HELPER_SECRET)
		log_debug(84, 5, "%s #Hlpr%d: sent %zu bytes", p->name,
		    pr->index, r->len);
	else
		log_debug(84, 5, "%s #Hlpr%d: sent %.*s", p->name, pr->index,
		    (int)r->len, r->msg);
}

static struct helper_proc *
helper_pick(const struct helper_pool *p)
{
	int cap = p->ch.concurrency > 0 ? p->ch.concurrency : 1;
	struct helper_proc *best = NULL;

	for (struct helper_proc *pr = p->procs; pr != NULL; pr = pr->next)
		if (pr->load < cap && pr->hold == NULL &&
		    (best == NULL || pr->load < best->load))
			best = pr;
	return best;
}

static void
helper_dispatch(struct helper_pool *p)
{
	struct helper_proc *pr;
	struct helper_req *r;

	while ((r = p->qhead) != NULL && !p->broken) {
		if ((pr = helper_pick(p)) == NULL) {
			if (p->nprocs >= p->ch.n_max) {
				if (ev_now() >= p->busy_logged +
				    HELPER_BUSY_LOG_MS || p->busy_logged == 0) {
					p->busy_logged = ev_now();
					log_warnx("All %d/%d %s processes are "
					    "busy.", p->nprocs, p->ch.n_max,
					    p->name);
					log_warnx("%d pending requests queued",
					    p->qlen);
				}
				break;
			}
			if ((pr = helper_spawn(p)) == NULL)
				break;
		}
		helper_queue_unlink(p, r);
		helper_send(pr, r);
		/*
		 * With concurrency, leave the line in the buffer until the
		 * loop's next turn (EPOLLOUT): the requests of one batch of
		 * events go in one write, and the child answers them at once.
		 */
		if (p->ch.concurrency > 0)
			ev_io_set(&pr->io, EPOLLIN | EPOLLOUT);
		/* a failed write shows as a hangup: handled as the child's exit */
		else if (helper_flush(pr) == -1)
			log_err("%s #Hlpr%d: write", p->name, pr->index);
	}
	/* keep idle= children spare for the next burst */
	int idle = 0;
	for (pr = p->procs; pr != NULL; pr = pr->next)
		if (pr->load == 0 && pr->hold == NULL)
			idle++;
	while (!p->broken && idle < p->ch.n_idle && p->nprocs < p->ch.n_max &&
	    p->nprocs > 0 && helper_spawn(p) != NULL)
		idle++;
}

/*
 * Squid's helper_server::checkForTimedOutRequests for one request: its
 * child keeps running and is free for the next one (a late reply is
 * dropped by its channel ID); the request is resent or answered.
 */
static void
helper_req_timeout(struct ev_timer *t)
{
	struct helper_req *r = t->arg;
	struct helper_proc *pr = r->proc;
	struct helper_pool *p = r->pool;
	struct helper_reply rep;

	log_debug(84, 2, "%s #Hlpr%d: request %llu timed out", p->name,
	    pr->index, (unsigned long long)r->id);
	helper_inflight_unlink(pr, r);
	pr->timedout++;
	p->timedout++;
	if (r->cb != NULL && p->timeout_retry &&
	    r->tries < HELPER_MAX_RETRIES) {
		r->tries++;
		log_debug(84, 2, "%s: retrying the timed-out request", p->name);
		helper_queue_push(p, r, 0);
		helper_dispatch(p);
		return;
	}
	if (r->cb != NULL) {
		const char *line = p->timeout_reply != NULL ?
		    p->timeout_reply : "";
		helper_reply_parse(&rep, line, strlen(line));
		if (p->timeout_reply == NULL)
			rep.result = HELPER_TIMEDOUT;
		r->notes = helper_reply_notes_append(r->notes, &rep);
		r->cb(r->arg, &rep, r->notes != NULL ? r->notes : "");
		helper_reply_free(&rep);
	}
	helper_req_free(r);
	helper_dispatch(p);	/* the child has a free slot again */
}

static struct helper_req *
helper_req_new(struct helper_pool *p, const char *msg, size_t len,
    helper_cb *cb, void *arg)
{
	struct helper_req *r = xcalloc(1, sizeof(*r));

	r->pool = p;
	r->msg = xstrndup(msg, len);
	r->len = len;
	r->cb = cb;
	r->arg = arg;
	ev_timer_init(&r->timer, helper_req_timeout, r);
	return r;
}

void
helper_pool_set_timeout(struct helper_pool *p, uint64_t ms, int retry,
    const char *reply)
{
	p->timeout_ms = ms;
	p->timeout_retry = retry;
	free(p->timeout_reply);
	p->timeout_reply = reply != NULL ? xstrdup(reply) : NULL;
}

struct helper_req *
helper_submit(struct helper_pool *p, const char *msg, size_t len,
    helper_cb *cb, void *arg)
{
	if (p == NULL || p->broken)
		return NULL;
	struct helper_req *r = helper_req_new(p, msg, len, cb, arg);
	helper_queue_push(p, r, 0);
	helper_dispatch(p);
	return r;
}

void
helper_cancel(struct helper_req *r)
{
	if (r->proc == NULL) {
		helper_queue_unlink(r->pool, r);
		helper_req_free(r);
	} else
		r->cb = NULL;	/* freed when its reply arrives */
}

/*
 * Squid's willOverload: queue-size requests wait already, every child is
 * running and none has a free slot.
 */
int
helper_pool_overloaded(const struct helper_pool *p)
{
	return p != NULL && p->qlen >= p->ch.queue_size &&
	    p->nprocs >= p->ch.n_max && helper_pick(p) == NULL;
}

/*
 * Squid's accounting of a reply (helper.cc): the pool's average service
 * time is a running mean over the last 1000 (REDIRECT_AV_FACTOR) replies.
 */
static void
helper_count_reply(struct helper_proc *pr, const struct helper_req *r)
{
	struct helper_pool *p = pr->pool;
	uint64_t now = ev_now();
	uint64_t n = ++p->replies;
	int svc = (int)(now - r->sent_ms);

	helper_changes++;
	pr->replies++;
	pr->last_sent_ms = r->sent_ms;
	pr->last_answer_ms = now;
	if (n > 1000)
		n = 1000;
	p->avg_svc_ms = (int)(((int64_t)p->avg_svc_ms * (int64_t)(n - 1) +
	    svc) / (int64_t)n);
}

/* One complete reply from pr. */
static void
helper_handle_reply(struct helper_proc *pr, const char *msg, size_t len)
{
	struct helper_pool *p = pr->pool;
	struct helper_req *r = pr->head;
	struct helper_reply rep;

	if (p->ch.concurrency > 0) {
		uint64_t id;
		const char *rest;
		size_t rest_len;
		if (helper_reply_split_id(msg, len, &id, &rest, &rest_len) ==
		    -1) {
			log_errx("%s #Hlpr%d: reply without a channel ID: %.*s",
			    p->name, pr->index, (int)(len > 200 ? 200 : len),
			    msg);
			return;
		}
		for (r = pr->head; r != NULL && r->id != id; r = r->next)
			;
		if (r == NULL && pr->timedout > 0) {
			/* as Squid: once a child has timed out, an unknown
			 * channel is taken for a late reply */
			log_debug(84, 3, "Timedout reply received for "
			    "request-ID: %llu , ignore",
			    (unsigned long long)id);
			return;
		}
		if (r == NULL) {
			log_warnx("%s #Hlpr%d: unexpected reply on channel "
			    "%llu", p->name, pr->index,
			    (unsigned long long)id);
			return;
		}
		msg = rest;
		len = rest_len;
	} else if (r == NULL) {
		log_warnx("helperHandleRead: unexpected read from %s #Hlpr%d, "
		    "%zu bytes '%.*s'", p->name, pr->index, len,
		    (int)(len > 200 ? 200 : len), msg);
		return;
	}
	helper_inflight_unlink(pr, r);
	helper_reply_parse(&rep, msg, len);
	r->notes = helper_reply_notes_append(r->notes, &rep);
	if (rep.result == HELPER_BH && r->cb != NULL && !r->held &&
	    !(p->flags & HELPER_STATEFUL) &&
	    r->tries < HELPER_MAX_RETRIES) {
		r->tries++;
		log_errx("helper: {result=BH, notes={%s}}, attempt #%d of %d",
		    r->notes, r->tries, HELPER_MAX_RETRIES);
		helper_count_reply(pr, r);
		helper_reply_free(&rep);
		helper_queue_push(p, r, 1);
		return;
	}
	int alive = 1;
	if (r->cb != NULL) {
		helper_answering = pr;
		r->cb(r->arg, &rep, r->notes);
		alive = helper_answering == pr;	/* not closed by the callback */
		helper_answering = NULL;
	}
	/* counted after the callback, as Squid does: a cache manager page
	 * answered inside it does not count its own reply yet */
	if (alive)
		helper_count_reply(pr, r);
	helper_reply_free(&rep);
	helper_req_free(r);
}

struct helper_hold *
helper_hold_answering(void)
{
	struct helper_proc *pr = helper_answering;

	if (pr == NULL)
		return NULL;
	if (pr->hold == NULL) {
		helper_changes++;
		pr->hold = xcalloc(1, sizeof(*pr->hold));
		pr->hold->proc = pr;
	}
	return pr->hold;
}

struct helper_req *
helper_submit_held(struct helper_hold *h, const char *msg, size_t len,
    helper_cb *cb, void *arg)
{
	struct helper_proc *pr = h->proc;

	if (pr == NULL || pr->load > 0)
		return NULL;
	struct helper_req *r = helper_req_new(pr->pool, msg, len, cb, arg);
	r->held = 1;
	helper_send(pr, r);
	if (helper_flush(pr) == -1)
		log_err("%s #Hlpr%d: write", pr->pool->name, pr->index);
	return r;
}

void
helper_release(struct helper_hold *h)
{
	struct helper_proc *pr;

	if (h == NULL)
		return;
	if ((pr = h->proc) != NULL) {
		helper_changes++;
		pr->hold = NULL;
		free(h);
		helper_dispatch(pr->pool);	/* the child is free again */
	} else
		free(h);
}

static void
helper_proc_io(struct ev_io *io, uint32_t revents)
{
	struct helper_proc *pr = io->arg;
	struct helper_pool *p = pr->pool;
	int secret = (p->flags & HELPER_SECRET) != 0;
	size_t used, mlen;

	helper_changes++;	/* the Offset and Flags columns */
	if (revents & EPOLLOUT) {
		if (helper_flush(pr) == -1) {
			helper_proc_died(pr);
			return;
		}
	}
	if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	ssize_t n = buf_read_fd(&pr->in, pr->fd, HELPER_READ_CHUNK);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		helper_proc_died(pr);
		return;
	}
	while ((used = p->frame(buf_head(&pr->in), buf_avail(&pr->in),
	    &mlen)) > 0) {
		if (used == HELPER_FRAME_BROKEN) {
			/* what follows cannot be trusted to frame: start over */
			log_errx("%s #Hlpr%d: malformed reply (%zu bytes "
			    "starting '%.*s'); replacing the helper", p->name,
			    pr->index, buf_avail(&pr->in),
			    (int)(buf_avail(&pr->in) < 16 ? buf_avail(&pr->in) :
			    16), buf_head(&pr->in));
			kill(pr->pid, SIGTERM);
			helper_proc_died(pr);
			return;
		}
		/* copy: a callback may stop the pool's reading of this child */
		char *msg = xstrndup(buf_head(&pr->in), mlen);
		buf_consume(&pr->in, used);
		helper_handle_reply(pr, msg, mlen);
		if (secret)
			explicit_bzero(msg, mlen);
		free(msg);
	}
	if (buf_avail(&pr->in) > HELPER_REPLY_MAX) {
		log_errx("%s #Hlpr%d: reply longer than %d bytes; dropping "
		    "the helper", p->name, pr->index, HELPER_REPLY_MAX);
		kill(pr->pid, SIGTERM);
		helper_proc_died(pr);
		return;
	}
	helper_dispatch(p);
}

void
helper_pool_stop(struct helper_pool *p, int notify)
{
	struct helper_req *r;

	if (p == NULL)
		return;
	ev_timer_stop(&p->fail_timer);
	while (p->procs != NULL)
		helper_proc_close(p->procs, notify);
	while ((r = p->qhead) != NULL) {
		helper_queue_unlink(p, r);
		if (!notify)
			r->cb = NULL;
		helper_req_fail(r);
	}
	for (int i = 0; p->argv[i] != NULL; i++) {
		free(p->argv[i]);
		free(p->child_argv[i]);
	}
	free(p->argv);
	free(p->child_argv);
	free(p->name);
	free(p->timeout_reply);
	free(p);
}

uint64_t
helper_pool_changes(void)
{
	return helper_changes;
}
