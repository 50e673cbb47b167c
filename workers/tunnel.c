/*
 * CONNECT tunnel.  Each direction is a pipe: splice from the source socket
 * into the pipe, then from the pipe into the destination socket.  A
 * direction whose source reached EOF and whose pipe is empty half-closes its
 * destination (shutdown SHUT_WR), so protocols that rely on half-close work.
 * The tunnel ends when both directions are finished or a socket fails.
 */
#include "config.h"
#include "tunnel.h"
#include "cfg.h"
#include "conn.h"
#include "dns.h"
#include "forward.h"
#include "log.h"
#include "pconn.h"
#include "util.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TUNNEL_PIPE_MAX (1 << 20)

static const char tunnel_established[] =
    "HTTP/1.1 200 Connection established\r\n\r\n";

static void tunnel_pump(struct xact *x);

void
tunnel_release(struct xact *x)
{
	int *fds[] = { &x->pipe_cs[0], &x->pipe_cs[1], &x->pipe_sc[0],
	    &x->pipe_sc[1] };

	for (int i = 0; i < 4; i++)
		if (*fds[i] != -1) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

static void
tunnel_server_io(struct ev_io *io, uint32_t revents)
{
	tunnel_pump(io->arg);
}

void
tunnel_client_event(struct xact *x, uint32_t revents)
{
	tunnel_pump(x);
}

static void
tunnel_end(struct xact *x)
{
	struct conn *c = x->conn;

	x->keep_client = 0;
	c->close_after = 1;
	xact_finish(x);
}

/*
 * Move one direction.  Returns 1 on progress, 0 when blocked, -1 on a
 * socket error.
 */
static int
tunnel_move(int from, int to, int pipefd[2], size_t *in_pipe, int *eof,
    int *shut, int64_t *count)
{
	int progress = 0;

	if (!*eof && *in_pipe < TUNNEL_PIPE_MAX) {
		ssize_t n = splice(from, NULL, pipefd[1], NULL,
		    TUNNEL_PIPE_MAX - *in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			*in_pipe += (size_t)n;
			progress = 1;
		} else if (n == 0) {
			*eof = 1;
			progress = 1;
		} else if (errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	if (*in_pipe > 0) {
		ssize_t n = splice(pipefd[0], NULL, to, NULL, *in_pipe,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0) {
			*in_pipe -= (size_t)n;
			if (count != NULL)
				*count += n;
			progress = 1;
		} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	if (*eof && *in_pipe == 0 && !*shut) {
		shutdown(to, SHUT_WR);
		*shut = 1;
		progress = 1;
	}
	return progress;
}

static void
tunnel_pump(struct xact *x)
{
	struct conn *c = x->conn;
	struct srv *s = x->srv;
	int64_t up = 0;

	for (int round = 0; round < 16; round++) {
		int a = tunnel_move(c->fd, s->fd, x->pipe_cs, &x->in_pipe_cs,
		    &x->eof_c, &x->shut_s, &up);
		int b = tunnel_move(s->fd, c->fd, x->pipe_sc, &x->in_pipe_sc,
		    &x->eof_s, &x->shut_c, &x->log.bytes_out);
		if (a == -1 || b == -1) {
			tunnel_end(x);
			return;
		}
		if (x->shut_c && x->shut_s) {
			x->log.bytes_in += up;
			tunnel_end(x);
			return;
		}
		if (a == 0 && b == 0)
			break;
	}
	x->log.bytes_in += up;
	ev_timer_start(&x->timer, worker_cfg->read_timeout);
	uint32_t cev = 0, sev = 0;
	if (!x->eof_c && x->in_pipe_cs < TUNNEL_PIPE_MAX)
		cev |= EPOLLIN;
	if (x->in_pipe_sc > 0)
		cev |= EPOLLOUT;
	if (!x->eof_s && x->in_pipe_sc < TUNNEL_PIPE_MAX)
		sev |= EPOLLIN;
	if (x->in_pipe_cs > 0)
		sev |= EPOLLOUT;
	ev_io_set(&c->io, cev);
	ev_io_set(&s->io, sev);
}

static void
tunnel_idle_timeout(struct ev_timer *t)
{
	tunnel_end(t->arg);
}

/* Server connected: answer 200 and start moving bytes. */
static void
tunnel_connected(struct xact *x, struct srv *s)
{
	struct conn *c = x->conn;

	x->srv = s;
	s->xact = x;

	if (pipe2(x->pipe_cs, O_NONBLOCK | O_CLOEXEC) == -1 ||
	    pipe2(x->pipe_sc, O_NONBLOCK | O_CLOEXEC) == -1) {
		log_err("pipe2 for CONNECT");
		xact_error(x, 500, "ERR_SOCKET_FAILURE", errno);
		return;
	}
	fcntl(x->pipe_cs[1], F_SETPIPE_SZ, TUNNEL_PIPE_MAX);
	fcntl(x->pipe_sc[1], F_SETPIPE_SZ, TUNNEL_PIPE_MAX);
	snprintf(x->result_tag, sizeof(x->result_tag), "TCP_TUNNEL");
	x->log.status = 200;
	x->head_sent = 1;
	/* bytes the client sent after the CONNECT head go first */
	if (buf_avail(&c->in) > 0) {
		ssize_t n = write(s->fd, buf_head(&c->in), buf_avail(&c->in));
		if (n > 0) {
			x->log.bytes_in += n;
			buf_consume(&c->in, (size_t)n);
		}
		if (buf_avail(&c->in) > 0) {
			/* rare: fall back to a blocking push of the rest */
			int fl = fcntl(s->fd, F_GETFL);
			fcntl(s->fd, F_SETFL, fl & ~O_NONBLOCK);
			while (buf_avail(&c->in) > 0) {
				n = write(s->fd, buf_head(&c->in),
				    buf_avail(&c->in));
				if (n <= 0)
					break;
				buf_consume(&c->in, (size_t)n);
			}
			fcntl(s->fd, F_SETFL, fl);
		}
	}
	if (write(c->fd, tunnel_established, sizeof(tunnel_established) - 1) !=
	    (ssize_t)(sizeof(tunnel_established) - 1)) {
		tunnel_end(x);
		return;
	}
	x->state = XS_TUNNEL;
	ev_io_set_cb(&s->io, tunnel_server_io, x);
	ev_timer_set_cb(&x->timer, tunnel_idle_timeout);
	tunnel_pump(x);
}

void
tunnel_start(struct xact *x)
{
	x->keep_client = 0;
	snprintf(x->result_tag, sizeof(x->result_tag), "TCP_TUNNEL");
	forward_open(x, 0, tunnel_connected);
}
