/*
 * logformat: compiles a Squid logformat specification
 * ("%ts.%03tu %6tr %>a %Ss/%03>Hs ...") into a list of items once, and
 * renders one access.log line from a transaction record.  Built-in formats
 * squid, common, combined, referrer and useragent are defined here; the
 * native "squid" format is rendered exactly as Squid 5.7 prints it.
 */
#ifndef CUTTLE_LOGFORMAT_H
#define CUTTLE_LOGFORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>

struct http_msg;
struct notes;
struct logformat;	/* compiled format, opaque */

/* Everything a log line may print about one transaction. */
struct alog_entry {
	struct timeval	 start;		/* request received */
	struct timeval	 end;		/* transaction end (line written) */
	struct sockaddr_storage client;	/* %>a %>p */
	struct sockaddr_storage local;	/* %la %lp */
	struct sockaddr_storage server;	/* %<a %<p; ss_family 0: none */
	const char	*result_tag;	/* %Ss: "TCP_MISS", "NONE_NONE" ... */
	const char	*hier;		/* %Sh: "HIER_DIRECT", "HIER_NONE" */
	int		 status;	/* %>Hs: status sent, 0: none */
	int		 upstream_status; /* %<Hs, 0: none */
	int64_t		 bytes_out;	/* %<st: bytes to client incl. headers */
	int64_t		 bytes_in;	/* %>st: bytes from client */
	int64_t		 reply_header_size; /* %<sh */
	const char	*method;	/* %rm, NULL: "-" */
	const char	*url;		/* %ru: logged URL (after strip_query_terms) */
	const char	*url_orig;	/* %>ru */
	const char	*scheme;	/* %>rs */
	const char	*host;		/* %>rd */
	const char	*peer_name;	/* %<A through a cache_peer: its name=;
					   NULL: the host */
	int		 port;		/* %>rP */
	const char	*path;		/* %rp */
	int		 vmajor, vminor; /* %rv */
	const char	*user;		/* %un, NULL: "-" */
	const char	*mime_type;	/* %mt, NULL: "-" */
	const char	*err_code;	/* %err_code: "ERR_CONNECT_FAIL" */
	const char	*err_detail;	/* %err_detail */
	const struct http_msg *request;	/* %{H}>h, log_mime_hdrs */
	const char	*reply_head;	/* reply head as sent, for log_mime_hdrs */
	size_t		 reply_head_len;
	long		 dns_ms;	/* %dt, -1 none */
	long		 upstream_ms;	/* %<tt, -1 none */
	uint64_t	 seq;		/* %sn */
	uint64_t	 xaction;	/* %master_xaction */
	const char	*bump_mode;	/* %ssl::bump_mode */
	const char	*sni;		/* %ssl::>sni */
	const char	*client_fqdn;	/* %>A; NULL: the address */
	const char	*store_id;	/* %store_id (cuttle's); NULL: none */
	const char	*ext_tag;	/* %et: an external ACL's tag= */
	const char	*ext_log;	/* %ea: an external ACL's log= */
	const char	*ext_user;	/* %ue: an external ACL's user= */
	const struct notes *notes;	/* %note: the annotations, or NULL */
};

/*
 * Compile spec.  Returns the format or NULL with *err (malloc'd) set, e.g.
 * "Unsupported %code 'zz'".
 */
struct logformat *logformat_compile(const char *name, const char *spec,
    char **err);
/* Built-in "squid", "common", "combined", "referrer", "useragent" or NULL. */
struct logformat *logformat_builtin(const char *name);
const char *logformat_name(const struct logformat *f);
/* The specification it was compiled from. */
const char *logformat_spec(const struct logformat *f);
/* How many items (codes and literal runs) a compiled format has. */
int logformat_nitems(const struct logformat *f);
void logformat_free(struct logformat *f);

/*
 * Render one line, ending in "\n", into out (size outsz); returns its length
 * (truncated lines still end in "\n").  log_mime_hdrs appends the
 * " [request headers] [reply headers]" part.
 */
size_t logformat_render(const struct logformat *f, const struct alog_entry *e,
    int log_mime_hdrs, char *out, size_t outsz);

/*
 * Squid's Format::QuoteMimeBlob of s[0..n) into out (NUL-terminated,
 * truncated to outsz): the quoting of mime headers in logs and of helper
 * requests on the cache manager's helper pages.  Returns its length.
 */
size_t logformat_quote_mimeblob(const char *s, size_t n, char *out,
    size_t outsz);

#endif
