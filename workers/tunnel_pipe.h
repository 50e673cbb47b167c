/*
 * Splice pipes shared by the tunnels of a worker: a tunnel direction borrows
 * one only while bytes are in flight.
 */
#ifndef CUTTLE_TUNNEL_PIPE_H
#define CUTTLE_TUNNEL_PIPE_H

#include <stddef.h>

/* The most a borrowed pipe holds. */
#define TUNNEL_PIPE_MAX (1 << 20)

/* 0 with a pipe in p, or -1 when none can be spared (copy instead). */
int tunnel_pipe_get(int p[2]);
/* Give a pipe back; one that still holds bytes is closed, not reused. */
void tunnel_pipe_put(int p[2], size_t bytes_left);

#endif
