/*
 * Unit tests for the reverse-proxy parts of the config: the accel options
 * of http_port.  Each case loads
 * a small file through cfg_load() and checks the error count, the exact
 * messages with file:line (the log goes to a temp file) and the values.
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "cfg.h"
#include "log.h"
#include "tap.h"

static char tdir[64];
static char conf[128];
static char logpath[128];
static char logtext[65536];	/* what the last load logged */

/* Write text (with pid_filename none before it) to conf and load it. */
static int
load(struct cfg *cfg, const char *text)
{
	FILE *f = fopen(conf, "w");
	int fd, n;
	ssize_t len;

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(conf);
		exit(1);
	}
	if ((fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1) {
		perror(logpath);
		exit(1);
	}
	log_set_fd(fd);
	n = cfg_load(cfg, conf, 0);
	log_set_fd(2);
	len = pread(fd, logtext, sizeof(logtext) - 1, 0);
	logtext[len > 0 ? len : 0] = '\0';
	close(fd);
	return n;
}

static int
load_free(const char *text)
{
	struct cfg cfg;
	int n = load(&cfg, text);

	cfg_free(&cfg);
	return n;
}

/* "LEVEL: conf:LINE: message" is in the log. */
static int
logged(const char *level, int line, const char *fmt, ...)
{
	char msg[1024], want[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(want, sizeof(want), "%s: %s:%d: %s", level, conf, line, msg);
	if (strstr(logtext, want) != NULL)
		return 1;
	printf("# wanted in log: %s\n# log was:\n%s", want, logtext);
	return 0;
}

static void
test_accel_options(void)
{
	struct cfg c;
	struct cfg_port *p;

	is_int(load(&c,
	    "http_port 3128\n"
	    "http_port 80 accel defaultsite=www.example.com vhost\n"
	    "http_port 81 accel defaultsite=www.example.com:8080 no-vhost "
	    "vport\n"
	    "http_port 82 accel vport=8080 allow-direct\n"
	    "http_port 83 vhost\n"
	    "http_port 84 accel vport=0\n"
	    "http_port 85 accel protocol=http act-as-origin ignore-cc\n"
	    "http_port 86 no-vhost act-as-origin ignore-cc\n"), 0,
	    "accel ports load");
	p = c.ports;
	is_int(p->accel, 0, "3128: no accel");
	is_str(p->defaultsite, NULL, "no defaultsite");
	is_int(p->vhost, 0, "no vhost");
	is_int(p->vport, -1, "vport absent: -1");
	is_int(p->allow_direct, 0, "no allow-direct");
	p = p->next;
	is_int(p->accel, 1, "accel");
	is_str(p->defaultsite, "www.example.com", "defaultsite=");
	is_int(p->vhost, 1, "vhost");
	is_int(p->vport, -1, "no vport");
	p = p->next;
	is_str(p->defaultsite, "www.example.com:8080", "defaultsite with port");
	is_int(p->vhost, 0, "no-vhost");
	is_int(p->vport, 0, "vport alone: the port the client reached");
	p = p->next;
	is_int(p->vhost, 1, "accel alone turns vhost on, as in Squid");
	is_int(p->vport, 8080, "vport=8080");
	is_int(p->allow_direct, 1, "allow-direct");
	p = p->next;
	is_int(p->accel, 1, "vhost without accel implies accel");
	is_int(p->vhost, 1, "and vhost");
	ok(logged("WARNING", 5, "http_port: vhost option is deprecated. Use "
	    "'accel' mode flag instead."), "vhost alone warns as Squid");
	p = p->next;
	is_int(p->vport, -1, "vport=0 is Squid's no vport");
	p = p->next;
	is_int(p->accel, 1, "port 85 accel");
	ok(logged("WARNING", 7, "http_port option 'protocol=http' is not "
	    "supported by cuttle yet; ignored"), "protocol= warns");
	ok(logged("WARNING", 7, "http_port option 'act-as-origin' is not "
	    "supported by cuttle yet; ignored"), "act-as-origin warns");
	ok(logged("WARNING", 7, "http_port option 'ignore-cc' is not "
	    "supported by cuttle yet; ignored"), "ignore-cc warns");
	p = p->next;
	is_int(p->accel, 0, "no-vhost and act-as-origin do not imply accel");
	ok(logged("WARNING", 8, "http_port: no-vhost option requires "
	    "Acceleration mode flag."), "no-vhost without accel");
	ok(logged("WARNING", 8, "http_port: act-as-origin option requires "
	    "Acceleration mode flag."), "act-as-origin without accel");
	ok(logged("WARNING", 8, "http_port option 'ignore-cc' is not "),
	    "ignore-cc without accel: accepted (HTTP violations build)");
	ok(strstr(logtext, "option 'accel'") == NULL, "accel never warns");
	cfg_free(&c);

	is_int(load(&c, "http_port localhost:3128 accel\n"), 0,
	    "a port named by host");
	is_str(c.ports->defaultsite, "localhost",
	    "the host name is the default site, as in Squid");
	cfg_free(&c);
	is_int(load(&c, "http_port localhost:3128 accel defaultsite=b\n"), 0,
	    "host name and defaultsite=");
	is_str(c.ports->defaultsite, "b", "defaultsite= wins");
	cfg_free(&c);
}

static void
test_accel_errors(void)
{
	/* as Squid, these options must follow accel on the line */
	static const char *const need[] = {
		"defaultsite=x", "vport", "vport=80", "protocol=HTTP",
		"allow-direct"
	};
	char text[256], name[32];

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		snprintf(text, sizeof(text), "http_port 3128\nhttp_port 80 %s "
		    "accel\n", need[i]);
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(need[i], "="),
		    need[i]);
		is_int(load_free(text), 1, "%s before accel", need[i]);
		ok(logged("ERROR", 2, "http_port: %s option requires "
		    "Acceleration mode flag.", name), "%s message", need[i]);
	}
	is_int(load_free("http_port 80 accel vport=70000\n"), 1, "vport=70000");
	ok(logged("ERROR", 1, "http_port option 'vport=70000': The value "
	    "'70000' is larger than the type 'short'."), "vport=70000 message");
	is_int(load_free("http_port 80 accel vport=-1\n"), 1, "vport=-1");
	ok(logged("ERROR", 1, "http_port option 'vport=-1': The value '-1' "
	    "cannot be less than 0."), "vport=-1 message");
	is_int(load_free("http_port 80 accel vport=8o\n"), 1, "vport=8o");
	ok(logged("ERROR", 1, "http_port option 'vport=8o': Invalid value: "
	    "'8o' is supposed to be a number."), "vport=8o message");
	is_int(load_free("http_port 80 accel protocol=gopher\n"), 1,
	    "protocol=gopher");
	ok(logged("ERROR", 1, "http_port directive does not support "
	    "protocol=GOPHER"), "protocol message, upper case as Squid");
	is_int(load_free("http_port 80 accel intercept\n"), 1,
	    "accel and intercept");
}

int
main(void)
{
	char cmd[128];

	log_init("t_cfg_peer", 0);
	snprintf(tdir, sizeof(tdir), "/tmp/t_cfg_peer.XXXXXX");
	if (mkdtemp(tdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(conf, sizeof(conf), "%s/t.conf", tdir);
	snprintf(logpath, sizeof(logpath), "%s/log", tdir);
	test_accel_options();
	test_accel_errors();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tdir);
	return tap_done();
}
