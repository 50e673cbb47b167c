/*
 * A CONNECT sent to a parent proxy and its answer, on a server connection
 * (plain, or TLS to a tls parent): for a client's CONNECT tunnelled
 * through the parent (tunnel.c), and for a bumped request that goes to the
 * origin through the parent's tunnel (forward_connect.c).
 *
 * In DESIGN.md's data flow: CONNECT / miss: peer selection - server
 * connection.
 */
#include "config.h"
#include "peer.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "cfg.h"
#include "conn.h"
#include "http_parse.h"
#include "log.h"
#include "pconn.h"
#include "tls_io.h"
#include "url.h"
#include "worker.h"
#include "xact.h"

void
peer_connect_request(const struct xact *x, const char *authority,
    struct buf *out)
{
	buf_printf(out, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n", authority,
	    authority);
	peer_login_header(x, xact_peer(x), out);
	buf_append(out, "\r\n", 2);
}

enum peer_connect_io
peer_connect_exchange(struct srv *s, int *status, size_t *head_len)
{
	struct http_msg m;
	struct http_parse_error err;
	ssize_t n;

	*status = 0;
	*head_len = 0;
	while (buf_avail(&s->out) > 0) {
		n = tls_io_write(s->fd, s->ssl, buf_head(&s->out),
		    buf_avail(&s->out));
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			ev_io_set(&s->io, tls_io_wants_write(s->ssl) ||
			    s->ssl == NULL ? EPOLLOUT : EPOLLIN);
			return PEER_CONNECT_WAIT;
		}
		if (n <= 0)
			return PEER_CONNECT_WRITE_FAILED;
		buf_consume(&s->out, (size_t)n);
	}
	/* through a tls parent: its answer comes through TLS */
	n = tls_io_read(s->fd, s->ssl, &s->in, 16384);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		if (n == 0)
			errno = 0;
		return PEER_CONNECT_READ_FAILED;
	}
	memset(&m, 0, sizeof(m));
	enum http_parse_result r = http_parse_response(&m, buf_head(&s->in),
	    buf_avail(&s->in), (size_t)worker_cfg->reply_header_max_size,
	    "CONNECT", 7, &err);
	if (r == HTTP_PARSE_INCOMPLETE) {
		http_msg_free(&m);
		ev_io_set(&s->io, n == -1 && tls_io_wants_write(s->ssl) ?
		    EPOLLOUT : EPOLLIN);
		return PEER_CONNECT_WAIT;
	}
	if (r == HTTP_PARSE_ERROR) {
		http_msg_free(&m);
		return PEER_CONNECT_BAD_ANSWER;
	}
	*status = m.status;
	*head_len = m.head_len;
	http_msg_free(&m);
	return PEER_CONNECT_ANSWERED;
}

void
peer_connect_refused(struct xact *x, struct srv *s, int status)
{
	log_debug(26, 2, "parent %s refused CONNECT for %s: %d",
	    xact_peer(x)->name, x->url_str, status);
	/* Squid counts the refusal as a failed connection to the parent */
	peer_state_connect_result(xact_peer(x), 0);
	ev_timer_stop(&x->timer);
	x->log.status = x->log.upstream_status = status;
	x->keep_client = 0;
	x->head_sent = 1;
	buf_append(&x->conn->out, buf_head(&s->in), buf_avail(&s->in));
	xact_send_local(x);
}
