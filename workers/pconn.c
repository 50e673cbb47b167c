/*
 * Idle server connection pool.  While pooled, a connection is watched for
 * readability: data or EOF from an idle server means it is unusable, so it
 * is closed rather than handed to a request.
 *
 * In DESIGN.md's data flow: miss: server connection (pooled).
 */
#include "config.h"
#include "pconn.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include "cfg.h"
#include "log.h"
#include "peer.h"
#include "util.h"
#include "worker.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <unistd.h>

#define PCONN_BUCKETS 256

static struct srv *pconn_pool[PCONN_BUCKETS];
static int pconn_idle;

/*
 * The bucket of an address and, for TLS, the name the session was made
 * for: many bumped hosts share one address (a CDN), and a take must not
 * walk every idle session to it.
 */
static unsigned
pconn_hash(const struct sockaddr *sa, const char *tls_host)
{
	unsigned h = (unsigned)util_addr_port(sa);

	if (tls_host != NULL)
		for (const char *p = tls_host; *p != '\0'; p++)
			h = h * 33 + (unsigned)tolower((unsigned char)*p);

	if (sa->sa_family == AF_INET)
		h ^= ((const struct sockaddr_in *)sa)->sin_addr.s_addr * 2654435761u;
	else {
		const unsigned char *b =
		    ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		for (int i = 0; i < 16; i++)
			h = h * 31 + b[i];
	}
	return h % PCONN_BUCKETS;
}

static int
pconn_same(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

struct srv *
srv_new(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct srv *s = xcalloc(1, sizeof(*s));

	s->fd = fd;
	memcpy(&s->addr, addr, len);
	s->addrlen = len;
	s->opened_ms = ev_now();
	buf_init(&s->in);
	buf_init(&s->out);
	ev_io_init(&s->io, fd, NULL, s);
	ev_timer_init(&s->timer, NULL, s);
	return s;
}

static void
pconn_unlink(struct srv *s)
{
	if (s->pool_prev != NULL)
		s->pool_prev->pool_next = s->pool_next;
	else
		pconn_pool[s->pool_bucket] = s->pool_next;
	if (s->pool_next != NULL)
		s->pool_next->pool_prev = s->pool_prev;
	s->pool_next = s->pool_prev = NULL;
	pconn_idle--;
}

void
srv_close(struct srv *s)
{
	if (s == NULL)
		return;
	ev_io_stop(&s->io);
	ev_timer_stop(&s->timer);
	if (s->ssl != NULL) {
		/* close_notify only on a session that got that far */
		if (SSL_is_init_finished(s->ssl))
			SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	free(s->tls_host);
	if (s->peer != NULL)
		peer_state_conn_closed(s->peer);
	close(s->fd);
	buf_free(&s->in);
	buf_free(&s->out);
	ev_defer_free(s);
}

int
srv_idle_still_usable(struct srv *s, uint32_t revents)
{
	/*
	 * TLS records that carry no data (a TLS 1.3 session ticket, a key
	 * update) may arrive while idle: read them and stay pooled.
	 */
	if (s->ssl != NULL && !(revents & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		char b;
		size_t n;

		ERR_clear_error();
		if (!SSL_read_ex(s->ssl, &b, 1, &n) &&
		    SSL_get_error(s->ssl, 0) == SSL_ERROR_WANT_READ) {
			ERR_clear_error();
			return 1;
		}
		ERR_clear_error();
	}
	/* an idle server speaking or closing: the connection is done */
	return 0;
}

static void
pconn_idle_event(struct ev_io *io, uint32_t revents)
{
	struct srv *s = io->arg;

	if (srv_idle_still_usable(s, revents))
		return;
	pconn_unlink(s);
	srv_close(s);
}

static void
pconn_idle_timeout(struct ev_timer *t)
{
	struct srv *s = t->arg;

	pconn_unlink(s);
	srv_close(s);
}

int64_t
pconn_idle_wait(int64_t idle_ms, uint64_t opened_ms)
{
	int64_t life = worker_cfg->pconn_lifetime;

	if (life <= 0)
		return idle_ms;
	int64_t age = (int64_t)(ev_now() - opened_ms);
	int64_t left = age < life ? life - age : 0;
	if (left < 1000)	/* Squid's whole seconds: at least one */
		left = 1000;
	return left < idle_ms ? left : idle_ms;
}

void
pconn_put(struct srv *s)
{
	unsigned b = pconn_hash((struct sockaddr *)&s->addr,
	    s->ssl != NULL ? s->tls_host : NULL);

	s->xact = NULL;
	if (buf_avail(&s->in) > 0 || buf_avail(&s->out) > 0 ||
	    worker_retiring()) {
		srv_close(s);
		return;
	}
	/* an idle pooled connection holds no buffers */
	buf_free(&s->in);
	buf_free(&s->out);
	s->pool_bucket = b;
	s->pool_prev = NULL;
	s->pool_next = pconn_pool[b];
	if (s->pool_next != NULL)
		s->pool_next->pool_prev = s;
	pconn_pool[b] = s;
	pconn_idle++;
	ev_io_set_cb(&s->io, pconn_idle_event, s);
	ev_io_set(&s->io, EPOLLIN | EPOLLRDHUP);
	ev_timer_set_cb(&s->timer, pconn_idle_timeout);
	ev_timer_start(&s->timer, (uint64_t)pconn_idle_wait(
	    worker_cfg->pconn_timeout, s->opened_ms));
}

struct srv *
pconn_take(const struct sockaddr *addr, const char *tls_host)
{
	unsigned b = pconn_hash(addr, tls_host);

	for (struct srv *s = pconn_pool[b]; s != NULL; s = s->pool_next) {
		if (!pconn_same((struct sockaddr *)&s->addr, addr))
			continue;
		if ((s->ssl != NULL) != (tls_host != NULL) || (tls_host != NULL &&
		    (s->tls_host == NULL || strcasecmp(s->tls_host, tls_host) != 0)))
			continue;
		pconn_unlink(s);
		ev_timer_stop(&s->timer);
		s->reused = 1;
		return s;
	}
	return NULL;
}

int
pconn_idle_count(void)
{
	return pconn_idle;
}

void
pconn_close_tls(void)
{
	for (int b = 0; b < PCONN_BUCKETS; b++) {
		struct srv *s = pconn_pool[b], *next;

		for (; s != NULL; s = next) {
			next = s->pool_next;
			if (s->ssl != NULL) {
				pconn_unlink(s);
				srv_close(s);
			}
		}
	}
}

void
pconn_close_all(void)
{
	for (int b = 0; b < PCONN_BUCKETS; b++)
		while (pconn_pool[b] != NULL) {
			struct srv *s = pconn_pool[b];
			pconn_unlink(s);
			srv_close(s);
		}
}
