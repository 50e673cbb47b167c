/*
 * url_regex_rewrite: a url_rewrite_program (and, with -s, a
 * store_id_program) for Squid 5.7 and cuttle, driven by a file of regex
 * rules (rules.c).  It reads request lines on stdin and answers each on
 * stdout (rwline.c), with or without channel IDs, so any concurrency=
 * works.  Replies are written in a batch once the lines read so far are
 * answered, so a busy concurrent pool costs one write(2) per read(2).  The
 * rules file is checked at most once a second from this loop and read
 * again when it changed; a file with errors is reported, line by line, on
 * stderr (cache.log) and the rules loaded before stay in force.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crash.h"
#include "rules.h"
#include "rwline.h"
#include "util.h"

#define RW_NAME		"url_regex_rewrite"
/* A rule's result longer than this is answered BH. */
#define RW_RESULT_MAX	(64 * 1024)

struct rw_state {
	const char	*path;
	int		 flags;
	int		 debug;
	int		 no_prefilter;
	struct rules	*rules;
	struct stat	 seen;		/* the file as last read (or tried) */
	int		 stat_errno;	/* the last stat failure reported */
	uint64_t	 checked_ms;
	char		 result[RW_RESULT_MAX];
	/* a line too long: answered when its end arrives */
	int		 discarding;
	char		 long_id[21];
	size_t		 long_id_len;
};

static int
rw_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void
rw_check_file(struct rw_state *st)
{
	struct rules *rs;
	struct stat sb;
	uint64_t now = util_now_ms();
	char *errs;

	if (now - st->checked_ms < 1000)
		return;
	st->checked_ms = now;
	if (stat(st->path, &sb) == -1) {
		if (errno != st->stat_errno)
			fprintf(stderr, "%s: WARNING: %s: %s; keeping the %zu "
			    "rules loaded before\n", RW_NAME, st->path,
			    strerror(errno), rules_count(st->rules));
		st->stat_errno = errno;
		return;
	}
	st->stat_errno = 0;
	if (rw_same_file(&sb, &st->seen))
		return;
	/* stat first: a change while it is read shows at the next check */
	st->seen = sb;
	if ((rs = rules_load(st->path, st->flags, &errs)) == NULL) {
		fputs(errs, stderr);
		fprintf(stderr, "%s: ERROR: %s has errors; keeping the %zu "
		    "rules loaded before\n", RW_NAME, st->path,
		    rules_count(st->rules));
		free(errs);
		return;
	}
	rules_free(st->rules);
	st->rules = rs;
	rules_set_prefilter(rs, !st->no_prefilter);
	fprintf(stderr, "%s: %s: reloaded, %zu rules\n", RW_NAME, st->path,
	    rules_count(rs));
}

/* Answer one line; line[len] is its terminator's place. */
static void
rw_line(struct rw_state *st, char *line, size_t len, struct buf *out)
{
	struct rules_match m;
	struct rwline rq;
	const char *why;

	if (rwline_parse(line, len, &rq, &why) == -1) {
		fprintf(stderr, "%s: ERROR: %s\n", RW_NAME, why);
		rwline_bh(out, &rq, why);
		return;
	}
	rules_match(st->rules, rq.url, st->result, sizeof(st->result), &m);
	if (st->debug)
		fprintf(stderr, "%s: %s -> rule at line %u: %s\n", RW_NAME,
		    rq.url, m.line, m.action == RULES_NONE ? "no match" :
		    m.action == RULES_STOP ? "stop (!)" :
		    m.action == RULES_TOO_LONG ? "result too long" : st->result);
	rwline_answer(out, &rq, &m, st->result, st->flags & RULES_STORE_ID);
}

/* A line longer than RWLINE_MAX: keep its channel ID, drop the rest. */
static void
rw_too_long(struct rw_state *st, const char *head, size_t len)
{
	size_t d;

	for (d = 0; d < len && d < 20 && head[d] >= '0' && head[d] <= '9'; d++)
		;
	st->long_id_len = d < len && (head[d] == ' ' || head[d] == '\t') ? d : 0;
	memcpy(st->long_id, head, st->long_id_len);
	st->discarding = 1;
	fprintf(stderr, "%s: ERROR: a request line longer than %d bytes\n",
	    RW_NAME, RWLINE_MAX);
}

static void
rw_long_done(struct rw_state *st, struct buf *out)
{
	struct rwline rq;

	memset(&rq, 0, sizeof(rq));
	if (st->long_id_len > 0) {
		rq.id = st->long_id;
		rq.id_len = st->long_id_len;
	}
	rwline_bh(out, &rq, "request line too long");
	st->discarding = 0;
}

static void
rw_flush(struct buf *out)
{
	ssize_t n;

	while (buf_avail(out) > 0) {
		n = write(STDOUT_FILENO, buf_head(out), buf_avail(out));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			exit(errno == EPIPE ? EXIT_SUCCESS : EXIT_FAILURE);
		buf_consume(out, (size_t)n);
	}
}

/* Answer every complete line in in; then mind an over-long rest. */
static void
rw_lines(struct rw_state *st, struct buf *in, struct buf *out)
{
	char *line, *nl;
	size_t len;

	rw_check_file(st);
	while (buf_avail(in) > 0) {
		line = buf_head(in);
		nl = memchr(line, '\n', buf_avail(in));
		if (st->discarding) {
			if (nl == NULL) {
				buf_consume(in, buf_avail(in));
				return;
			}
			buf_consume(in, (size_t)(nl - line) + 1);
			rw_long_done(st, out);
			continue;
		}
		if (nl == NULL) {
			if (buf_avail(in) > RWLINE_MAX) {
				rw_too_long(st, line, buf_avail(in));
				buf_consume(in, buf_avail(in));
			}
			return;
		}
		len = (size_t)(nl - line);
		if (len > RWLINE_MAX) {
			rw_too_long(st, line, len);
			buf_consume(in, len + 1);
			rw_long_done(st, out);
			continue;
		}
		if (len > 0 && line[len - 1] == '\r')
			len--;
		rw_line(st, line, len, out);
		buf_consume(in, (size_t)(nl - line) + 1);
	}
}

static void
rw_usage(void)
{
	fprintf(stderr, "usage: %s [-s] [-d] [-t] [-F] rules-file\n"
	    "  -s  store-ID mode: answer store-id= (store_id_program)\n"
	    "  -d  log each request and its answer to stderr\n"
	    "  -t  check the rules file and exit\n"
	    "  -F  no prefilter: every rule's regex is tried (to measure it)\n",
	    RW_NAME);
	exit(EXIT_FAILURE);
}

int
main(int argc, char **argv)
{
	struct rw_state *st = xcalloc(1, sizeof(*st));
	struct buf in, out;
	int ch, check_only = 0;
	ssize_t n;
	char *errs;

	crash_handler_install(RW_NAME, 0);
	while ((ch = getopt(argc, argv, "sdtFh")) != -1) {
		switch (ch) {
		case 's':
			st->flags |= RULES_STORE_ID;
			break;
		case 'd':
			st->debug = 1;
			break;
		case 't':
			check_only = 1;
			break;
		case 'F':
			st->no_prefilter = 1;
			break;
		default:
			rw_usage();
		}
	}
	if (optind != argc - 1)
		rw_usage();
	st->path = argv[optind];
	if (stat(st->path, &st->seen) == -1)
		memset(&st->seen, 0, sizeof(st->seen));
	if ((st->rules = rules_load(st->path, st->flags, &errs)) == NULL) {
		fputs(errs, stderr);
		fprintf(stderr, "%s: FATAL: %s has errors\n", RW_NAME, st->path);
		return EXIT_FAILURE;
	}
	rules_set_prefilter(st->rules, !st->no_prefilter);
	if (check_only) {
		printf("%s: %zu rules\n", st->path, rules_count(st->rules));
		return EXIT_SUCCESS;
	}
	st->checked_ms = util_now_ms();
	signal(SIGPIPE, SIG_IGN);
	buf_init(&in);
	buf_init(&out);
	for (;;) {
		rw_flush(&out);
		n = buf_read_fd(&in, STDIN_FILENO, 65536);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		rw_lines(st, &in, &out);
	}
	/* a last line without its newline is answered too */
	if (buf_avail(&in) > 0 && !st->discarding) {
		buf_reserve(&in, 1);
		rw_line(st, buf_head(&in), buf_avail(&in), &out);
	} else if (st->discarding) {
		rw_long_done(st, &out);
	}
	rw_flush(&out);
	/* freed so that valgrind's leak report stays meaningful */
	buf_free(&in);
	buf_free(&out);
	rules_free(st->rules);
	free(st);
	return EXIT_SUCCESS;
}
