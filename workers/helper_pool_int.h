/*
 * Private to the helper pool (helper_pool.c) and its statistics page
 * (helper_stats.c): a pool, its children and their requests.
 */
#ifndef CUTTLE_HELPER_POOL_INT_H
#define CUTTLE_HELPER_POOL_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "cfg.h"
#include "evloop.h"
#include "helper_pool.h"

struct helper_req {
	struct helper_pool *pool;
	struct helper_proc *proc;	/* sent to; NULL while queued */
	uint64_t	 id;		/* channel ID (concurrency > 0) */
	char		*msg;
	size_t		 len;
	helper_cb	*cb;		/* NULL: cancelled */
	void		*arg;
	int		 tries;		/* BH and timeout retries done */
	int		 held;		/* for a held child: never retried */
	char		*notes;		/* accumulated across tries */
	uint64_t	 sent_ms;	/* when it went to its child */
	struct ev_timer	 timer;		/* the pool's timeout, while sent */
	struct helper_req *next, *prev;
};

struct helper_proc {
	struct helper_pool *pool;
	int		 fd;
	pid_t		 pid;
	int		 index;		/* "#Hlpr<index>", unique in the process */
	struct ev_io	 io;
	struct buf	 in, out;
	struct helper_req *head, *tail;	/* sent, waiting for replies */
	int		 load;
	uint64_t	 next_id;
	uint64_t	 uses;		/* requests sent to it (mgr page) */
	uint64_t	 replies;
	uint64_t	 timedout;	/* requests given up on (mgr page) */
	uint64_t	 last_sent_ms;	/* its last answered request: sent, */
	uint64_t	 last_answer_ms;	/* and answered */
	struct helper_hold *hold;	/* reserved for one caller */
	struct helper_proc *next;
};

struct helper_hold {
	struct helper_proc *proc;	/* NULL once the child is gone */
};

struct helper_pool {
	char		*name;
	char		**argv;		/* argv[0] the program, for execvp */
	char		**child_argv;	/* "(basename)" first */
	struct cfg_helper_children ch;
	helper_frame_fn	*frame;
	unsigned	 flags;		/* HELPER_NO_IDS, HELPER_SECRET */
	struct helper_proc *procs;
	int		 nprocs;
	struct helper_req *qhead, *qtail;
	int		 qlen;
	uint64_t	 last_restart;	/* ms */
	uint64_t	 busy_logged;
	int		 broken;	/* crashing too rapidly: no more children */
	struct ev_timer	 fail_timer;	/* answer queued requests of a broken pool */
	/* helper_pool_set_timeout; only with channel IDs, as Squid */
	uint64_t	 timeout_ms;	/* 0: wait for ever */
	int		 timeout_retry;
	char		*timeout_reply;
	/* Squid's helper stats (the cache manager's page) */
	uint64_t	 requests;	/* sent to children, retries included */
	uint64_t	 replies;
	uint64_t	 timedout;
	int		 avg_svc_ms;	/* Math::intAverage over 1000 replies */
};

#endif
