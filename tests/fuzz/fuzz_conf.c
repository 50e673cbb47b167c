/*
 * libFuzzer target for the squid.conf engine and directive table: the input
 * is written to a file in a private directory and loaded with cfg_load(),
 * then reconfigured from, as the master would: cfg_restart_keep() copies
 * into it the restart-only values of the defaults (and must find nothing
 * left to copy after), then both are freed.  Built twice: as fuzz_conf the input is a whole file; with
 * FUZZ_CONF_LINE (fuzz_conf_line) it is one directive line, loaded after a
 * fixed preamble that defines ACLs, a logformat and a cache_peer for it to
 * refer to.
 *
 * The parse must stay inside that directory and be quick, so four libc
 * calls are replaced while a config loads: fopen() for reading opens only
 * plain names in the directory, a bounded number of times (a file that
 * includes itself three times per line would take 3^16 loads); glob()
 * matches nothing for a pattern with a '/' (an include of two
 * wildcard levels under the root walked the file system: a timeout of the
 * harness, not a bug of ours);
 * getaddrinfo() resolves only numeric addresses (Squid resolves acl and
 * http_port host names at load); and regcomp() refuses patterns with more
 * than one counted repetition, a count over 32 or more than eight '+',
 * because glibc expands them into a tree whose size is the product of the
 * counts ("x+" is "xx*"): "(a{0,255}){0,255}" takes 2.6 s and 535 MB,
 * "x" and twenty '+' 2.6 s and 700 MB, as they do in Squid.
 */
#define _GNU_SOURCE
#include "config.h"
#include "cfg.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <netdb.h>
#include <regex.h>
#include <stdint.h>
#include <unistd.h>

#include "log.h"
#include "fuzz.h"

#define FUZZ_CONF_MAX_OPENS	32

static int fuzz_loading;
static struct cfg fuzz_running;	/* the defaults: an empty file */
static int fuzz_opens;
static char fuzz_dir[] = "/tmp/cuttle-fuzz-conf.XXXXXX";

FILE *
fopen(const char *path, const char *mode)
{
	static FILE *(*real)(const char *, const char *);

	if (real == NULL)
		real = (FILE *(*)(const char *, const char *))dlsym(RTLD_NEXT,
		    "fopen");
	/* libFuzzer itself writes crash inputs with fopen(..., "wb") */
	if (fuzz_loading && mode[0] == 'r' && (strchr(path, '/') != NULL ||
	    ++fuzz_opens > FUZZ_CONF_MAX_OPENS)) {
		errno = ENOENT;
		return NULL;
	}
	return real(path, mode);
}

int
glob(const char *pattern, int flags, int (*errfunc)(const char *, int),
    glob_t *pglob)
{
	static int (*real)(const char *, int, int (*)(const char *, int),
	    glob_t *);

	if (real == NULL)
		real = (int (*)(const char *, int, int (*)(const char *, int),
		    glob_t *))dlsym(RTLD_NEXT, "glob");
	if (fuzz_loading && strchr(pattern, '/') != NULL) {
		memset(pglob, 0, sizeof(*pglob));
		return GLOB_NOMATCH;
	}
	return real(pattern, flags, errfunc, pglob);
}

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	static int (*real)(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **);
	struct addrinfo h;

	if (real == NULL)
		real = (int (*)(const char *, const char *,
		    const struct addrinfo *, struct addrinfo **))dlsym(
		    RTLD_NEXT, "getaddrinfo");
	if (hints != NULL)
		h = *hints;
	else {
		memset(&h, 0, sizeof(h));
		h.ai_family = AF_UNSPEC;
	}
	h.ai_flags |= AI_NUMERICHOST;
	return real(node, service, &h, res);
}

int
regcomp(regex_t *re, const char *pattern, int cflags)
{
	static int (*real)(regex_t *, const char *, int);
	const char *p;
	int counts = 0, plus = 0;

	if (real == NULL)
		real = (int (*)(regex_t *, const char *, int))dlsym(RTLD_NEXT,
		    "regcomp");
	for (p = pattern; fuzz_loading && *p != '\0'; p++) {
		if (*p == '{')
			counts++;
		if (*p == '+')
			plus++;
		if (counts > 1 || plus > 8 || (*p >= '0' && *p <= '9' && counts > 0 &&
		    strtol(p, NULL, 10) > 32)) {
			/* as glibc leaves it: regfree() is safe after */
			memset(re, 0, sizeof(*re));
			return REG_ESPACE;
		}
	}
	return real(re, pattern, cflags);
}

static void
fuzz_cleanup(void)
{
	if (chdir("/") == 0) {
		char path[sizeof(fuzz_dir) + 16];

		snprintf(path, sizeof(path), "%s/fuzz.conf", fuzz_dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/running.conf", fuzz_dir);
		unlink(path);
		rmdir(fuzz_dir);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *f;
	int fd;

	if (mkdtemp(fuzz_dir) == NULL || chdir(fuzz_dir) == -1)
		abort();
	atexit(fuzz_cleanup);
	/* the errors it reports are the point, not output to keep */
	if ((fd = open("/dev/null", O_WRONLY)) == -1)
		abort();
	log_set_fd(fd);
	if ((f = fopen("running.conf", "w")) == NULL || fclose(f) != 0 ||
	    cfg_load(&fuzz_running, "running.conf", 0) != 0)
		abort();
	return 0;
}

/* the shown values must be strings */
static void
fuzz_report(const char *name, const char *from, const char *to, void *arg)
{
	if (strlen(name) + strlen(from) + strlen(to) == 0)
		abort();
}

#ifdef FUZZ_CONF_LINE
static const char fuzz_preamble[] =
    "acl localnet src 10.0.0.0/8 192.168.0.0/16 fc00::/7\n"
    "acl SSL_ports port 443\n"
    "acl Safe_ports port 80 21 443 1025-65535\n"
    "acl CONNECT method CONNECT\n"
    "acl PURGE method PURGE\n"
    "acl blocked dstdomain .blocked.test\n"
    "acl users proxy_auth REQUIRED\n"
    "acl step1 at_step SslBump1\n"
    "logformat fz %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru\n"
    "http_port 127.0.0.1:3128\n"
    "cache_peer 192.0.2.1 parent 80 0 no-query originserver name=web\n";
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg cfg;
	size_t len = size;
	FILE *f;

#ifdef FUZZ_CONF_LINE
	const uint8_t *nl = memchr(data, '\n', size);

	if (nl != NULL)
		len = (size_t)(nl - data);
#endif
	if ((f = fopen("fuzz.conf", "w")) == NULL)
		abort();
#ifdef FUZZ_CONF_LINE
	fputs(fuzz_preamble, f);
#endif
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
	fuzz_loading = 1;
	fuzz_opens = 0;
	(void)cfg_load(&cfg, "fuzz.conf", 0);
	fuzz_loading = 0;
	(void)cfg_restart_keep(&cfg, &fuzz_running, fuzz_report, NULL);
	if (cfg_restart_keep(&cfg, &fuzz_running, fuzz_report, NULL) != 0)
		abort();	/* kept values must compare the same */
	cfg_free(&cfg);
	return 0;
}
