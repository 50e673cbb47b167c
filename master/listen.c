/*
 * Listening sockets.  Bound once by the master (before any privilege drop,
 * so ports below 1024 work) and inherited by every worker generation; a
 * reconfigure keeps the sockets of ports that did not change, so no
 * connection attempt is refused during the switch.
 */
#include "config.h"
#include "listen.h"
#include "cfg.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
listen_same_addr(const struct cfg_port *a, const struct cfg_port *b)
{
	return a->addrlen == b->addrlen &&
	    memcmp(&a->addr, &b->addr, a->addrlen) == 0 &&
	    a->tproxy == b->tproxy;
}

static int
listen_bind_one(struct cfg_port *p)
{
	int fd, on = 1;
	char addr[64];

	fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_err("socket for http_port %s", p->spec);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* accepted sockets inherit it: one call here, none per connection */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (p->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (p->tproxy && setsockopt(fd, SOL_IP, IP_TRANSPARENT, &on,
	    sizeof(on)) == -1) {
		log_err("%s:%d: tproxy port %s needs CAP_NET_ADMIN", p->file,
		    p->line, p->spec);
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&p->addr, p->addrlen) == -1) {
		log_err("%s:%d: cannot bind http_port %s", p->file, p->line,
		    p->spec);
		close(fd);
		return -1;
	}
	if (listen(fd, 1024) == -1) {
		log_err("listen on %s", p->spec);
		close(fd);
		return -1;
	}
	/* port 0 in tests: learn the real port */
	if (p->port == 0) {
		socklen_t len = sizeof(p->addr);
		getsockname(fd, (struct sockaddr *)&p->addr, &len);
		p->port = util_addr_port((struct sockaddr *)&p->addr);
	}
	log_info("Accepting HTTP Socket connections at local=%s:%d FD %d",
	    util_addr_str((struct sockaddr *)&p->addr, addr, sizeof(addr)),
	    p->port, fd);
	p->fd = fd;
	return 0;
}

int
listen_bind_all(struct cfg *cfg, struct cfg *old)
{
	int failures = 0;

	for (struct cfg_port *p = cfg->ports; p != NULL; p = p->next) {
		p->fd = -1;
		if (old != NULL) {
			for (struct cfg_port *o = old->ports; o != NULL;
			    o = o->next) {
				if (o->fd != -1 && listen_same_addr(o, p)) {
					p->fd = o->fd;
					o->fd = -1;	/* taken over */
					break;
				}
			}
		}
		if (p->fd == -1 && listen_bind_one(p) == -1)
			failures++;
	}
	return failures;
}

void
listen_close_unused(struct cfg *old, const struct cfg *cfg)
{
	(void)cfg;
	for (struct cfg_port *o = old->ports; o != NULL; o = o->next) {
		if (o->fd != -1) {
			close(o->fd);
			o->fd = -1;
		}
	}
}
