/*
 * access.log.  Each line is one write(2) to an O_APPEND descriptor, so the
 * lines of several workers interleave whole.  ACLs of an access_log line are
 * checked against the finished transaction (reply included).  The first
 * descriptors come in the heritage, opened by the master before the
 * privilege drop; after -k rotate (and a -N reconfigure) the worker reopens
 * the files by name itself, as the effective user.
 *
 * In DESIGN.md's data flow: access.log line.
 */
#include "config.h"
#include "accesslog.h"
#include "acl.h"
#include "buf.h"
#include "cfg.h"
#include "conn.h"
#include "xact.h"
#include "heritage.h"
#include "log.h"
#include "logformat.h"
#include "util.h"
#include "worker.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define ACCESSLOG_MAX HERITAGE_ACCESS_LOGS_MAX

#define ACCESSLOG_BUF	(64 * 1024)

/*
 * Lines are gathered per log and written once per event-loop turn: one
 * write(2) for all the transactions a turn finished, instead of one each.
 * The loop's batch hook is set only while lines wait (accesslog_pending),
 * so that a turn that logged nothing (most turns of a tunnel, a miss
 * waiting for its origin) does not call in here.
 */
static int accesslog_fds[ACCESSLOG_MAX];
static int accesslog_nfds;	/* accesslog_fds[] in use (may hold -1) */
static struct buf accesslog_bufs[ACCESSLOG_MAX];
static uint64_t accesslog_seq;
static int accesslog_pending;	/* the batch hook is set */

void
accesslog_init(void)
{
	accesslog_nfds = heritage.naccess_logs;
	for (int i = 0; i < accesslog_nfds; i++)
		accesslog_fds[i] = heritage.access_log_fds[i];
}

static void
accesslog_open(void)
{
	int i = 0;

	for (const struct cfg_access_log *l = worker_cfg->access_logs;
	    l != NULL && i < ACCESSLOG_MAX; l = l->next, i++) {
		accesslog_fds[i] = -1;
		if (l->path == NULL)
			continue;
		accesslog_fds[i] = open(l->path, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0644);
		if (accesslog_fds[i] == -1)
			log_err("open access_log %s", l->path);
	}
	accesslog_nfds = i;
}

void
accesslog_flush(void)
{
	for (int i = 0; i < ACCESSLOG_MAX; i++) {
		struct buf *b = &accesslog_bufs[i];
		if (buf_avail(b) == 0)
			continue;
		if (accesslog_fds[i] != -1 &&
		    write(accesslog_fds[i], buf_head(b), buf_avail(b)) < 0)
			log_err("write access_log");
		buf_consume(b, buf_avail(b));
	}
	if (accesslog_pending) {
		ev_batch_hook_del(accesslog_flush);
		accesslog_pending = 0;
	}
}

void
accesslog_reopen(void)
{
	accesslog_flush();
	for (int i = 0; i < accesslog_nfds; i++)
		if (accesslog_fds[i] != -1)
			close(accesslog_fds[i]);
	accesslog_open();
}

void
accesslog_write(struct xact *x)
{
	char line[16384];
	struct acl_checklist cl;
	int i = 0, have_cl = 0;

	x->log.seq = ++accesslog_seq;
	for (const struct cfg_access_log *l = worker_cfg->access_logs;
	    l != NULL && i < accesslog_nfds; l = l->next, i++) {
		int fd = accesslog_fds[i];
		if (fd == -1 || l->format == NULL)
			continue;
		if (l->acls.head != NULL) {
			int action;
			/* built once, for the first log that has ACLs: most
			 * have none, and then x's checklist is not needed */
			if (!have_cl) {
				xact_checklist(x, &cl);
				cl.status = x->log.status;
				have_cl = 1;
			}
			if (access_check(&l->acls, &cl, ACCESS_ALLOW, &action,
			    NULL) != ACL_MATCH || action != ACCESS_ALLOW)
				continue;
		}
		size_t n = logformat_render(l->format, &x->log,
		    worker_cfg->log_mime_hdrs, line, sizeof(line));
		buf_append(&accesslog_bufs[i], line, n);
		if (buf_avail(&accesslog_bufs[i]) >= ACCESSLOG_BUF)
			accesslog_flush();
		else if (!accesslog_pending) {
			ev_batch_hook_add(accesslog_flush);
			accesslog_pending = 1;
		}
	}
}
