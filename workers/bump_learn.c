/*
 * Learned splices (see bump_learn.h): the detection hooks the bump and the
 * client connection call, and the shared file.
 *
 * Every access to the file holds flock on it: shared to read, exclusive to
 * add, which reads the file again, adds, drops what expired and rewrites it
 * in place, so two workers learning at once both land and a reader never
 * sees half a file.  A worker keeps the list it read last and stats the
 * file at most once a second; an entry learned by another worker is seen
 * within that second.  The file is 0600: it lists clients.  When it cannot
 * be written (its directory missing or not the workers' to write) the
 * worker says so once and keeps what it learns in memory.
 */
#include "config.h"
#include "bump_learn.h"
#include "buf.h"
#include "cfg.h"
#include "conn.h"
#include "evloop.h"
#include "learn_splice.h"
#include "log.h"
#include "util.h"
#include "worker.h"
#include "xact.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

/* A hang-up this soon after the handshake, with no request, refused it. */
#define BUMP_LEARN_HANGUP_MS	1000
/* How often the file's stat is looked at for another worker's changes. */
#define BUMP_LEARN_STAT_MS	1000
/* A file larger than this is not read (it is not one we wrote). */
#define BUMP_LEARN_FILE_MAX	(64 * 1024 * 1024)

static struct learn_splice_list bump_learn_list;
static char *bump_learn_path;		/* the file bump_learn_list is from */
static struct stat bump_learn_st;	/* its stat when read (st_ino 0: none) */
static uint64_t bump_learn_checked_ms;
static int bump_learn_write_failed;	/* said once */

int
bump_learn_enabled(void)
{
	return worker_cfg->ssl_bump_learn_splice > 0;
}

static int
bump_learn_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void
bump_learn_bad_line(void *arg, unsigned line, const char *why)
{
	log_warnx("%s:%u: skipping a corrupt ssl_bump_learn_splice_file "
	    "line: %s", (const char *)arg, line, why);
}

/* Read fd (locked by the caller) into l; -1 when it cannot be read. */
static int
bump_learn_read_fd(int fd, const char *path, const struct stat *st,
    struct learn_splice_list *l)
{
	size_t len = (size_t)st->st_size, got = 0;
	char *text;
	ssize_t n;

	if (st->st_size > BUMP_LEARN_FILE_MAX) {
		log_warnx("%s: %lld bytes is too large for an "
		    "ssl_bump_learn_splice_file; ignoring it", path,
		    (long long)st->st_size);
		learn_splice_free(l);
		return -1;
	}
	text = xmalloc(len + 1);
	while (got < len) {
		n = pread(fd, text + got, len - got, (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("read %s", path);
			free(text);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	learn_splice_parse(l, text, got, (int64_t)time(NULL),
	    bump_learn_bad_line, (void *)path);
	free(text);
	return 0;
}

/* Read the file again when it changed (or the path did). */
static void
bump_learn_refresh(void)
{
	const char *path = worker_cfg->ssl_bump_learn_splice_file;
	int same_path = bump_learn_path != NULL &&
	    strcmp(bump_learn_path, path) == 0;
	struct stat st;
	int fd;

	if (same_path && ev_now() - bump_learn_checked_ms < BUMP_LEARN_STAT_MS)
		return;
	bump_learn_checked_ms = ev_now();
	if (!same_path) {
		free(bump_learn_path);
		bump_learn_path = xstrdup(path);
		memset(&bump_learn_st, 0, sizeof(bump_learn_st));
		learn_splice_free(&bump_learn_list);
	}
	if (stat(path, &st) == -1) {
		if (errno != ENOENT)
			log_debug(83, 1, "stat %s: %s", path, strerror(errno));
		/* removed by hand: forget it (what only this worker's memory
		 * holds, when the file cannot be written, stands) */
		else if (bump_learn_st.st_ino != 0) {
			memset(&bump_learn_st, 0, sizeof(bump_learn_st));
			learn_splice_free(&bump_learn_list);
		}
		return;
	}
	if (bump_learn_same_file(&st, &bump_learn_st))
		return;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_debug(83, 1, "open %s: %s", path, strerror(errno));
		return;
	}
	if (flock(fd, LOCK_SH) == 0 && fstat(fd, &st) == 0 &&
	    bump_learn_read_fd(fd, path, &st, &bump_learn_list) == 0) {
		bump_learn_st = st;
		log_debug(83, 3, "%s: %zu learned splices", path,
		    bump_learn_list.n);
	}
	close(fd);
}

static const char *
bump_learn_client(const struct conn *c, char *buf, size_t len)
{
	return util_addr_str((const struct sockaddr *)&c->peer, buf, len);
}

int
bump_learn_client_known(const struct xact *x)
{
	char client[LEARN_SPLICE_CLIENT_MAX];

	if (!bump_learn_enabled())
		return 0;
	bump_learn_refresh();
	return learn_splice_has_client(&bump_learn_list,
	    bump_learn_client(x->conn, client, sizeof(client)),
	    (int64_t)time(NULL));
}

int
bump_learn_splices(const struct xact *x, const char *name)
{
	char client[LEARN_SPLICE_CLIENT_MAX];
	const struct learn_splice_entry *e;
	int64_t now = (int64_t)time(NULL);

	if (!bump_learn_enabled() || name == NULL || name[0] == '\0')
		return 0;
	bump_learn_refresh();
	e = learn_splice_find(&bump_learn_list,
	    bump_learn_client(x->conn, client, sizeof(client)), name, now);
	if (e == NULL)
		return 0;
	log_debug(83, 2, "transaction %llu: %s: learned splice: client %s "
	    "refused the bump of %s (%s); splicing for %lld s more",
	    (unsigned long long)x->id, x->url_str, e->client, name, e->reason,
	    (long long)(e->expiry - now));
	return 1;
}

/* What cache.log says a reason was. */
static const char *
bump_learn_reason_text(const char *reason)
{
	if (strcmp(reason, "reset") == 0)
		return "reset the connection during the TLS handshake";
	if (strcmp(reason, "closed") == 0)
		return "closed the connection during the TLS handshake";
	if (strcmp(reason, "early_hangup") == 0)
		return "hung up right after the TLS handshake without a request";
	return NULL;	/* an alert's name */
}

/* Write l over fd's contents (fd locked exclusively); -1 on failure. */
static int
bump_learn_write_fd(int fd, const struct learn_splice_list *l, int64_t now)
{
	size_t len, off = 0;
	char *text = learn_splice_format(l, now, &len);
	ssize_t n;

	if (ftruncate(fd, 0) == -1) {
		free(text);
		return -1;
	}
	while (off < len) {
		n = pwrite(fd, text + off, len - off, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(text);
			return -1;
		}
		off += (size_t)n;
	}
	free(text);
	return 0;
}

/*
 * Learn (client, name): into the file under its lock, merged with what
 * other workers wrote, or into memory when the file cannot be written.
 * 1 when the pair was not learned already.
 */
static int
bump_learn_store(const char *client, const char *name, const char *reason,
    int64_t now, int64_t expiry)
{
	const char *path = worker_cfg->ssl_bump_learn_splice_file;
	struct learn_splice_list fresh;
	struct stat st;
	int fd, added;

	bump_learn_refresh();
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1 || flock(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1) {
		if (!bump_learn_write_failed)
			log_warn("ssl_bump_learn_splice_file %s: cannot "
			    "write it; learned splices stay in this worker's "
			    "memory", path);
		bump_learn_write_failed = 1;
		if (fd != -1)
			close(fd);
		return learn_splice_add(&bump_learn_list, expiry, client,
		    name, reason, now);
	}
	learn_splice_init(&fresh);
	if (bump_learn_read_fd(fd, path, &st, &fresh) == -1)
		learn_splice_free(&fresh);
	added = learn_splice_add(&fresh, expiry, client, name, reason, now);
	/* it lists clients: the owner's only, whoever made it */
	if ((st.st_mode & 0777) != 0600 && fchmod(fd, 0600) == -1)
		log_warn("chmod 0600 %s", path);
	if (bump_learn_write_fd(fd, &fresh, now) == -1) {
		log_warn("write %s", path);
		memset(&st, 0, sizeof(st));
	} else if (fstat(fd, &st) == -1)
		memset(&st, 0, sizeof(st));
	close(fd);
	learn_splice_free(&bump_learn_list);
	bump_learn_list = fresh;
	bump_learn_st = st;
	bump_learn_checked_ms = ev_now();
	return added;
}

/* Learn (the client of c, name) for ssl_bump_learn_splice; log it once. */
static void
bump_learn(const struct conn *c, const char *name, const char *reason)
{
	char client[LEARN_SPLICE_CLIENT_MAX];
	int64_t now = (int64_t)time(NULL);
	int64_t secs = (worker_cfg->ssl_bump_learn_splice + 999) / 1000;
	const char *text = bump_learn_reason_text(reason);

	if (name == NULL || name[0] == '\0')
		return;
	bump_learn_client(c, client, sizeof(client));
	if (bump_learn_store(client, name, reason, now, now + secs) != 1)
		return;
	if (text != NULL)
		log_info("SslBump: learned splice: client %s %s of %s; "
		    "splicing %s for it for %lld s (%s)", client, text, name,
		    name, (long long)secs, reason);
	else
		log_info("SslBump: learned splice: client %s sent a fatal "
		    "%s alert for our certificate of %s; splicing %s for it "
		    "for %lld s (%s)", client, reason, name, name,
		    (long long)secs, reason);
}

/*
 * OpenSSL's message callback on a bumped client's handshake: note when our
 * Certificate goes out and the fatal alert the client answers with.  Its
 * argument is the connection, which outlives the SSL.
 */
static void
bump_learn_msg(int write_p, int version, int content_type, const void *buf,
    size_t len, SSL *ssl, void *arg)
{
	struct conn *c = arg;
	const unsigned char *p = buf;

	(void)version;
	(void)ssl;
	if (len == 0)
		return;
	if (write_p && content_type == SSL3_RT_HANDSHAKE &&
	    p[0] == SSL3_MT_CERTIFICATE)
		c->learn_cert_sent = 1;
	else if (!write_p && content_type == SSL3_RT_ALERT && len == 2 &&
	    p[0] == SSL3_AL_FATAL)
		c->learn_alert = p[1];
}

void
bump_learn_watch(struct conn *c)
{
	c->learn_cert_sent = 0;
	c->learn_alert = 0;
	if (!bump_learn_enabled())
		return;
	SSL_set_msg_callback(c->ssl, bump_learn_msg);
	SSL_set_msg_callback_arg(c->ssl, c);
}

/* The alert the client refused our certificate with, or NULL. */
static const char *
bump_learn_alert(const struct conn *c)
{
	unsigned long e = ERR_peek_error();
	int alert = c->learn_alert;

	/* without the callback's note, the error queue names it too */
	if (alert == 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) > SSL_AD_REASON_OFFSET)
		alert = ERR_GET_REASON(e) - SSL_AD_REASON_OFFSET;
	switch (alert) {
	case SSL_AD_UNKNOWN_CA:
		return "unknown_ca";
	case SSL_AD_BAD_CERTIFICATE:
		return "bad_certificate";
	case SSL_AD_CERTIFICATE_UNKNOWN:
		return "certificate_unknown";
	}
	return NULL;
}

void
bump_learn_handshake_failed(struct xact *x, const char *name, int ssl_error,
    int err)
{
	struct conn *c = x->conn;
	const char *reason = NULL;
	unsigned long e = ERR_peek_error();

	if (c->ssl != NULL)
		SSL_set_msg_callback(c->ssl, NULL);
	if (!bump_learn_enabled())
		return;
	if ((reason = bump_learn_alert(c)) == NULL && c->learn_cert_sent) {
		/* a plain EOF is SSL_ERROR_SSL "unexpected eof" in OpenSSL 3 */
		if (ssl_error == SSL_ERROR_SYSCALL ||
		    ssl_error == SSL_ERROR_ZERO_RETURN ||
		    (ssl_error == SSL_ERROR_SSL &&
		    ERR_GET_LIB(e) == ERR_LIB_SSL &&
		    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING))
			reason = err == ECONNRESET || err == EPIPE ? "reset" :
			    "closed";
	}
	if (reason == NULL) {
		log_debug(83, 3, "transaction %llu: %s: the client's failed "
		    "handshake is not a refusal of our certificate%s",
		    (unsigned long long)x->id, x->url_str, c->learn_cert_sent ?
		    "" : " (it had not seen it)");
		return;
	}
	bump_learn(c, name, reason);
}

void
bump_learn_handshake_done(struct xact *x, const char *name)
{
	struct conn *c = x->conn;

	SSL_set_msg_callback(c->ssl, NULL);
	free(c->learn_name);
	c->learn_name = NULL;
	if (!bump_learn_enabled() || name == NULL || name[0] == '\0')
		return;
	c->learn_name = xstrdup(name);
	c->learn_until_ms = ev_now() + BUMP_LEARN_HANGUP_MS;
}

void
bump_learn_request_seen(struct conn *c)
{
	free(c->learn_name);
	c->learn_name = NULL;
}

void
bump_learn_conn_closed(struct conn *c)
{
	if (c->learn_name == NULL)
		return;
	if (bump_learn_enabled() && buf_avail(&c->in) == 0 &&
	    ev_now() < c->learn_until_ms)
		bump_learn(c, c->learn_name, "early_hangup");
	bump_learn_request_seen(c);
}

int
bump_learn_mgr_page(struct buf *out)
{
	const struct learn_splice_list *l = &bump_learn_list;
	int64_t now = (int64_t)time(NULL);
	size_t live = 0;

	if (!bump_learn_enabled()) {
		buf_printf(out, "ssl_bump_learn_splice is off\n");
		return 0;
	}
	bump_learn_refresh();
	for (size_t i = 0; i < l->n; i++)
		live += l->v[i].expiry > now;
	buf_printf(out, "Learned splices: %zu\n", live);
	buf_printf(out, "  ssl_bump_learn_splice: %lld seconds\n",
	    (long long)((worker_cfg->ssl_bump_learn_splice + 999) / 1000));
	buf_printf(out, "  ssl_bump_learn_splice_file: %s%s\n",
	    worker_cfg->ssl_bump_learn_splice_file, bump_learn_write_failed ?
	    " (cannot be written: this worker's memory only)" : "");
	buf_printf(out, "\nClient\tName\tReason\tExpires\tSeconds left\n");
	for (size_t i = 0; i < l->n; i++) {
		const struct learn_splice_entry *e = &l->v[i];
		char when[32], *esc;
		time_t t = (time_t)e->expiry;
		struct tm tm;

		if (e->expiry <= now)
			continue;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(when, sizeof(when), "%lld", (long long)e->expiry);
		/* a name is a client's SNI: escaped as in the file */
		esc = xmalloc(3 * strlen(e->name) + 3 * strlen(e->reason) + 2);
		char *o = learn_splice_escape(esc, e->name);
		*o++ = '\t';
		o = learn_splice_escape(o, e->reason);
		*o = '\0';
		buf_printf(out, "%s\t%s\t%s\t%lld\n", e->client, esc, when,
		    (long long)(e->expiry - now));
		free(esc);
	}
	return 0;
}
