/*
 * What the parts of the directive table share (lib/cfg_table.c and the
 * cfg_set*.c files holding the handlers of directives whose values are not
 * one of conf.c's generic types).  Only those files include it.
 */
#ifndef CUTTLE_CFG_INT_H
#define CUTTLE_CFG_INT_H

#include <stdint.h>

#include "cfg.h"
#include "conf.h"

#define CFG_BASE(cx)	((struct cfg *)(cx)->base)

/* cfg_table.c: the table itself (n rows) */
const struct conf_directive *cfg_directives(size_t *n);

/* cfg_set.c: ports, logs, ACLs and access lists, sizes, addresses */
char *cfg_strdup(const char *s);
/* whole numbers in option words, with Squid's xatoi / xatos messages */
char *cfg_xatoi(const char *word, int *v);
char *cfg_xatos(const char *word, int *v);
char *cfg_set_port(struct conf_ctx *cx, void *field, int argc, char **argv);
char *cfg_set_access_log(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_logformat(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_debug_options(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_connect_retries(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_client_db(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_cachemgr_passwd(struct conf_ctx *cx, void *field, int argc,
    char **argv);
void cfg_mgr_passwd_free(struct cfg_mgr_passwd **list);
char *cfg_set_cpu_affinity_map(struct conf_ctx *cx, void *field, int argc,
    char **argv);
void cfg_cpu_affinity_free(struct cfg_cpu_affinity *m);
char *cfg_set_via(struct conf_ctx *cx, void *field, int argc, char **argv);
char *cfg_set_uri_whitespace(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_forwarded_for(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_acl(struct conf_ctx *cx, void *field, int argc, char **argv);
char *cfg_set_access(struct conf_ctx *cx, void *field, int argc, char **argv);
char *cfg_set_ssl_bump(struct conf_ctx *cx, void *field, int argc, char **argv);
char *cfg_set_time_off(struct conf_ctx *cx, void *field, int argc, char **argv);
char *cfg_set_on_unsupported_protocol(struct conf_ctx *cx, void *field,
    int argc, char **argv);
char *cfg_set_bytes(struct conf_ctx *cx, void *field, int argc, char **argv);
char *cfg_set_size_acl(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_note(struct conf_ctx *cx, void *field, int argc, char **argv);
char *cfg_set_outgoing_addr(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_deny_info(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_nameservers(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_workers(struct conf_ctx *cx, void *field, int argc,
    char **argv);

/* cfg_set_cache.c: refresh_pattern, cache_dir and the cache sizes */
char *cfg_set_refresh_pattern(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_cache_dir(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_replacement_policy(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_swap_percent(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_kb(struct conf_ctx *cx, void *field, int argc, char **argv);
char *cfg_set_targeted_cc(struct conf_ctx *cx, void *field, int argc,
    char **argv);
void cfg_free_str_list(struct cfg_str_list **list);
void cfg_free_cache_dirs(struct cfg_cache_dir **list);

/* cfg_set_helper.c: helper programs, their children, auth_param */
char *cfg_set_helper_children(struct conf_ctx *cx, void *field, int argc,
    char **argv);
void cfg_free_argv(char ***field);
/* A URL helper's directives (url_rewrite_*, store_id_*) let go of. */
void cfg_free_url_helper(struct cfg_url_helper *h);
char *cfg_set_helper_timeout(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_helper_program(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_helper_format(struct conf_ctx *cx, void *field, int argc,
    char **argv);
/* cfg_set_digest.c: auth_param digest */
char *cfg_set_auth_digest(struct conf_ctx *cx, int argc, char **argv);
void cfg_free_auth_digest(struct cfg_auth_digest *d);
char *cfg_rest_after(const struct conf_ctx *cx, int n);
/* auth_param SCHEME key_extras FORMAT: the rest of the line, as Squid
 * takes it, compiled into *field. */
char *cfg_auth_key_extras(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_auth_param(struct conf_ctx *cx, void *field, int argc,
    char **argv);
/* cfg_set_negotiate.c: "auth_param negotiate ..." (argv[0] "negotiate") */
char *cfg_set_auth_negotiate(struct conf_ctx *cx, int argc, char **argv);
char *cfg_set_external_acl_type(struct conf_ctx *cx, void *field, int argc,
    char **argv);

/*
 * cfg_set_certs.c: a port's TLS and SslBump options (cfg_port_tls_option:
 * 1 if opt is one, *err set on an error; cfg_port_tls_finish reads the
 * files once the line is complete), sslcrtd_children, sslproxy_cert_sign,
 * sslproxy_cert_adapt, sslproxy_cert_sign_hash, ssl_bump_cert_key
 */
int cfg_port_tls_option(struct conf_ctx *cx, struct cfg_port *p,
    const char *opt, char **err);
char *cfg_port_tls_finish(struct conf_ctx *cx, struct cfg_port *p);
char *cfg_set_sslcrtd_children(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_cert_sign(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_cert_adapt(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_cert_sign_hash(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_cert_key(struct conf_ctx *cx, void *field, int argc,
    char **argv);
void cfg_free_cert_rules(struct cfg_cert_rule **list);
/* cfg_set_tls.c: tls_outgoing_options */
char *cfg_set_tls_outgoing(struct conf_ctx *cx, void *field, int argc,
    char **argv);
void cfg_free_tls_outgoing(struct cfg_tls_outgoing *t);
/*
 * One Security::PeerOptions word ("cafile=/x", "flags=...", "" for a bare
 * "tls") into t; messages start with who.  NULL, or the error.
 */
char *cfg_tls_option(struct conf_ctx *cx, struct cfg_tls_outgoing *t,
    const char *w, const char *who);

/* cfg_set_hdr.c: request_header_* and reply_header_* */
char *cfg_set_hdr_access(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_hdr_replace(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *cfg_set_hdr_add(struct conf_ctx *cx, void *field, int argc,
    char **argv);
/* cfg_set_upgrade.c: http_upgrade_request_protocols */
char *cfg_set_upgrade(struct conf_ctx *cx, void *field, int argc, char **argv);
void cfg_free_upgrade(struct cfg_upgrade *u);

/* delay_conf.c: delay_pools, delay_class, delay_parameters, delay_access */
char *delay_conf_pools(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *delay_conf_class(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *delay_conf_parameters(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *delay_conf_access(struct conf_ctx *cx, void *field, int argc,
    char **argv);
char *delay_conf_initial(struct conf_ctx *cx, void *field, int argc,
    char **argv);
void delay_conf_free(struct cfg *cfg);

/* cfg_set_peer.c: cache_peer and cache_peer_access */
char *cfg_set_peer(struct conf_ctx *cx, void *field, int argc, char **argv);
char *cfg_set_peer_access(struct conf_ctx *cx, void *field, int argc,
    char **argv);
void cfg_free_peers(struct cfg_peer **list);

#endif
