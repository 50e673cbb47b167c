/*
 * A pool of splice pipes for the worker's tunnels.  Two pipes per tunnel
 * cost four descriptors on top of the two sockets, so with a tight
 * max_filedescriptors the pipes, not the clients, ran out first.  A tunnel
 * direction borrows a pipe only while it has bytes in flight and returns it
 * empty, so idle tunnels hold none.  A new pipe is made only while the
 * descriptor budget keeps room beyond the reserve; without one the tunnel
 * copies through user space, slower but never refused.
 *
 * In DESIGN.md's data flow: CONNECT - splice: byte tunnel (its pipes).
 */
#include "config.h"
#include "tunnel_pipe.h"
#include "fdbudget.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* Empty pipes kept for reuse; more are closed. */
#define TUNNEL_PIPE_IDLE_MAX 16

static int tunnel_pipe_idle[TUNNEL_PIPE_IDLE_MAX][2];
static int tunnel_pipe_nidle;

/* Pipes are an optimisation: they never eat into what clients need. */
static int
tunnel_pipe_affordable(void)
{
	return fdbudget_free() > 2 * fdbudget_reserve() + 2;
}

int
tunnel_pipe_get(int p[2])
{
	if (tunnel_pipe_nidle > 0) {
		tunnel_pipe_nidle--;
		p[0] = tunnel_pipe_idle[tunnel_pipe_nidle][0];
		p[1] = tunnel_pipe_idle[tunnel_pipe_nidle][1];
		return 0;
	}
	if (!tunnel_pipe_affordable())
		return -1;
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == -1) {
		if (!fdbudget_exhausted_errno(errno))
			log_err("pipe2 for CONNECT");
		return -1;
	}
	fdbudget_note_open(p[0]);
	fdbudget_note_open(p[1]);
	/* a short pipe only slows the tunnel down */
	(void)fcntl(p[1], F_SETPIPE_SZ, TUNNEL_PIPE_MAX);
	return 0;
}

void
tunnel_pipe_put(int p[2], size_t bytes_left)
{
	if (bytes_left == 0 && tunnel_pipe_nidle < TUNNEL_PIPE_IDLE_MAX &&
	    tunnel_pipe_affordable()) {
		tunnel_pipe_idle[tunnel_pipe_nidle][0] = p[0];
		tunnel_pipe_idle[tunnel_pipe_nidle][1] = p[1];
		tunnel_pipe_nidle++;
	} else {
		close(p[0]);
		close(p[1]);
	}
	p[0] = p[1] = -1;
}
