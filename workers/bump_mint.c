/*
 * Minting without sslcrtd_program, off the event loop.  A certificate is
 * two signatures with the CA's key (tls_mint): about a millisecond with
 * RSA 2048, tens with RSA 4096, and a burst of new host names would hold
 * every other connection of the worker for all of them.  So the worker
 * hands each mint to one thread of its own, started with the first, and
 * hears back through an eventfd in its loop; building the TLS context and
 * answering the waiting connections stay in the loop.
 *
 * A job owns references to everything the thread reads (the signing
 * certificate and key, the certificate to mimic) and a copy of the name,
 * so a reconfigure meanwhile changes nothing under it.  The thread touches
 * nothing else of the worker: no logging, no configuration, no loop.
 *
 * In DESIGN.md's data flow: "bump: TLS to client with a minted cert".
 */
#include "config.h"
#include "bump_mint.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <openssl/err.h>

#include "evloop.h"
#include "log.h"
#include "util.h"

struct bump_mint_job {
	struct tls_mint_req req;	/* its certificates and key held */
	char		*cn;
	bump_mint_cb	*cb;
	void		*arg;
	X509		*cert;		/* the result, or NULL with err */
	EVP_PKEY	*key;
	char		 err[256];
	struct bump_mint_job *next;
};

/* Jobs in order, from the loop to the thread and back. */
struct bump_mint_queue {
	struct bump_mint_job *head, **tail;
};

static pthread_mutex_t bump_mint_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bump_mint_work = PTHREAD_COND_INITIALIZER;
static struct bump_mint_queue bump_mint_todo, bump_mint_done;
static int bump_mint_stopping;
static int bump_mint_started;
static pthread_t bump_mint_thread;
static int bump_mint_efd = -1;
static struct ev_io bump_mint_io;

static void
bump_mint_push(struct bump_mint_queue *q, struct bump_mint_job *j)
{
	if (q->tail == NULL)
		q->tail = &q->head;
	j->next = NULL;
	*q->tail = j;
	q->tail = &j->next;
}

static struct bump_mint_job *
bump_mint_take_all(struct bump_mint_queue *q)
{
	struct bump_mint_job *all = q->head;

	q->head = NULL;
	q->tail = &q->head;
	return all;
}

/* The thread: mint, then tell the loop. */
static void
bump_mint_run(struct bump_mint_job *j)
{
	unsigned long code;

	ERR_clear_error();
	j->cert = tls_mint(&j->req, &j->key);
	if (j->cert == NULL) {
		code = ERR_get_error();
		snprintf(j->err, sizeof(j->err), "cannot mint a certificate "
		    "for %s: %s", j->cn, code != 0 ?
		    ERR_reason_error_string(code) : "unknown error");
	}
	ERR_clear_error();
}

static void *
bump_mint_main(void *unused)
{
	const uint64_t one = 1;
	struct bump_mint_job *j;

	(void)unused;
	pthread_mutex_lock(&bump_mint_lock);
	for (;;) {
		while (bump_mint_todo.head == NULL && !bump_mint_stopping)
			pthread_cond_wait(&bump_mint_work, &bump_mint_lock);
		if (bump_mint_todo.head == NULL)
			break;
		j = bump_mint_todo.head;
		bump_mint_todo.head = j->next;
		if (bump_mint_todo.head == NULL)
			bump_mint_todo.tail = &bump_mint_todo.head;
		pthread_mutex_unlock(&bump_mint_lock);
		bump_mint_run(j);
		pthread_mutex_lock(&bump_mint_lock);
		bump_mint_push(&bump_mint_done, j);
		/* an eventfd write never blocks here: its count only adds */
		while (write(bump_mint_efd, &one, sizeof(one)) == -1 &&
		    errno == EINTR)
			;
	}
	pthread_mutex_unlock(&bump_mint_lock);
	return NULL;
}

static void
bump_mint_free(struct bump_mint_job *j)
{
	X509_free(j->req.ca_cert);
	EVP_PKEY_free(j->req.ca_key);
	EVP_PKEY_free(j->req.leaf_key);
	X509_free(j->req.mimic);
	X509_free(j->cert);
	EVP_PKEY_free(j->key);
	free(j->cn);
	free(j);
}

/* Answer the finished jobs, in the loop. */
static void
bump_mint_finished(void)
{
	struct bump_mint_job *j, *next;

	pthread_mutex_lock(&bump_mint_lock);
	j = bump_mint_take_all(&bump_mint_done);
	pthread_mutex_unlock(&bump_mint_lock);
	for (; j != NULL; j = next) {
		next = j->next;
		j->cb(j->arg, j->cert, j->key, j->cert != NULL ? NULL : j->err);
		bump_mint_free(j);
	}
}

static void
bump_mint_event(struct ev_io *io, uint32_t revents)
{
	uint64_t n;

	(void)io;
	(void)revents;
	while (read(bump_mint_efd, &n, sizeof(n)) == -1 && errno == EINTR)
		;
	bump_mint_finished();
}

/* The thread and its eventfd, at the first mint. */
static int
bump_mint_start(void)
{
	sigset_t all, old;
	int rc;

	if (bump_mint_started)
		return 0;
	if ((bump_mint_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		log_warn("cannot make an eventfd for minting certificates");
		return -1;
	}
	/* the worker's signals stay with its signalfd, not the thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&bump_mint_thread, NULL, bump_mint_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		log_warn("cannot start the certificate minting thread");
		close(bump_mint_efd);
		bump_mint_efd = -1;
		return -1;
	}
	ev_io_init(&bump_mint_io, bump_mint_efd, bump_mint_event, NULL);
	ev_io_set(&bump_mint_io, EPOLLIN);
	bump_mint_started = 1;
	log_debug(83, 2, "certificate minting thread started");
	return 0;
}

int
bump_mint_ready(void)
{
	return !bump_mint_stopping && bump_mint_start() == 0;
}

int
bump_mint_submit(const struct tls_mint_req *req, bump_mint_cb *cb, void *arg)
{
	struct bump_mint_job *j;

	if (bump_mint_stopping || bump_mint_start() == -1)
		return -1;
	j = xcalloc(1, sizeof(*j));
	j->req = *req;
	if (j->req.ca_cert != NULL)
		X509_up_ref(j->req.ca_cert);
	if (j->req.ca_key != NULL)
		EVP_PKEY_up_ref(j->req.ca_key);
	if (j->req.leaf_key != NULL)
		EVP_PKEY_up_ref(j->req.leaf_key);
	if (j->req.mimic != NULL)
		X509_up_ref(j->req.mimic);
	j->cn = xstrdup(req->cn != NULL ? req->cn : "");
	j->req.cn = j->cn;
	j->cb = cb;
	j->arg = arg;
	pthread_mutex_lock(&bump_mint_lock);
	bump_mint_push(&bump_mint_todo, j);
	pthread_cond_signal(&bump_mint_work);
	pthread_mutex_unlock(&bump_mint_lock);
	return 0;
}

void
bump_mint_shutdown(void)
{
	if (!bump_mint_started)
		return;
	pthread_mutex_lock(&bump_mint_lock);
	bump_mint_stopping = 1;
	pthread_cond_signal(&bump_mint_work);
	pthread_mutex_unlock(&bump_mint_lock);
	/* the thread finishes what was queued: every job gets its answer */
	pthread_join(bump_mint_thread, NULL);
	bump_mint_finished();
	ev_io_stop(&bump_mint_io);
	close(bump_mint_efd);
	bump_mint_efd = -1;
	bump_mint_started = 0;
	bump_mint_stopping = 0;
}
