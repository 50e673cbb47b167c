/*
 * cfg_table: the directive table that fills struct cfg, with Squid 5.7's
 * defaults (Debian build); the handlers for directives whose value type is
 * not one of conf.c's generic setters are in cfg_set*.c.  Every Squid
 * directive has a row: the ones cuttle does not implement yet warn and are
 * ignored so that real configs load, obsolete ones warn with Squid's hint.  The table must stay
 * sorted by name (conf_load checks it).
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "extacl.h"
#include "log.h"
#include "logformat.h"
#include "tls_port.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif
#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc/cuttle"
#endif
#ifndef PKGDATADIR
#define PKGDATADIR	"/usr/share/cuttle"
#endif

#define CFG_LOGDIR	LOCALSTATEDIR "/log/cuttle/"
/* what the workers keep across restarts (the sample's ssl_db is here too) */
#define CFG_STATEDIR	LOCALSTATEDIR "/lib/cuttle/"

#define CFG(x)	offsetof(struct cfg, x)

/*
 * The table.  Rows are sorted by name (strcmp order); aliases are rows of
 * their own with the same field and handler and no default.  CONF_RESTART
 * marks what the master applies only at start (main.c: the shared memory
 * cache, the descriptor limit, the working directory, cache.log and the pid
 * file; stores.c: the store processes with their cache_dir and the settings
 * they read; kid.c: the user the kids drop to, who owns the logs and the
 * cache_dir trees): a reconfigure warns and keeps the running value
 * (cfg_restart.c).  Only an alias's main row carries it.
 */
#define U(name)	{ name, conf_unsupported, 0, NULL, 0, 0, ANY, NULL }
/*
 * Unsupported, but cuttle already does what this value asks for (it has
 * no ICP, HTCP or SNMP, never mlocks, logs each line in
 * the turn it is made...): the value is taken silently, another warned
 * about with the one cuttle behaves as.  "*": no value changes anything
 * here (ICP settings, with no ICP port possible).
 */
#define US(name, same)	{ name, conf_unsupported, 0, NULL, 0, 0, ANY, same }
#define O(name, hint)	{ name, conf_obsolete, 0, NULL, 0, 0, ANY, hint }
#define ANY		CONF_ARGS_ANY

static const struct conf_directive cfg_table[] = {
	U("accept_filter"),
	{ "access_log", cfg_set_access_log, CFG(access_logs),
	    "stdio:" CFG_LOGDIR "access.log squid", CONF_DEFAULT_IF_NONE, 1,
	    ANY, NULL },
	{ "acl", cfg_set_acl, CFG(acls), NULL, CONF_FILE_VALUES, 2, ANY, NULL },
	{ "acl_uses_indirect_client", conf_set_bool,
	    CFG(acl_uses_indirect_client), "on", 0, 1, 1, NULL },
	U("adaptation_access"),
	U("adaptation_masterx_shared_names"),
	U("adaptation_meta"),
	U("adaptation_send_client_ip"),
	U("adaptation_send_username"),
	U("adaptation_service_chain"),
	U("adaptation_service_iteration_limit"),
	U("adaptation_service_set"),
	U("adaptation_uses_indirect_client"),
	U("adapted_http_access"),
	U("allow_underscore"),
	{ "always_direct", cfg_set_access, CFG(always_direct), NULL, 0, 1,
	    ANY, NULL },
	U("announce_file"),
	U("announce_host"),
	U("announce_period"),
	U("announce_port"),
	U("append_domain"),
	U("as_whois_server"),
	{ "ascii_port", cfg_set_port, CFG(ports), NULL, 0, 1, ANY, NULL },
	{ "auth_param", cfg_set_auth_param, CFG(auth_basic), NULL, 0, 2, ANY,
	    NULL },
	U("auth_schemes"),
	{ "authenticate_cache_garbage_interval", conf_set_time,
	    CFG(authenticate_gc_interval), "1 hour", 0, 1, 2, NULL },
	{ "authenticate_ip_ttl", conf_set_time, CFG(authenticate_ip_ttl),
	    "1 second", 0, 1, 2, NULL },
	{ "authenticate_ttl", conf_set_time, CFG(authenticate_ttl), "1 hour",
	    0, 1, 2, NULL },
	U("background_ping_rate"),
	O("balance_on_multiple_ip",
	    "Remove this line. Squid performs a 'Happy Eyeballs' "
	    "algorithm, this multiple-IP algorithm is not longer "
	    "relevant."),
	U("broken_posts"),
	O("broken_vary_encoding",
	    "This option is not yet supported by Squid-3."),
	US("buffered_logs", "off"),
	{ "cache", cfg_set_access, CFG(cache_access), NULL, 0, 1, ANY, NULL },
	{ "cache_access_log", cfg_set_access_log, CFG(access_logs), NULL, 0, 1,
	    ANY, NULL },
	{ "cache_dir", cfg_set_cache_dir, CFG(cache_dirs), NULL, CONF_RESTART,
	    1, ANY, NULL },
	{ "cache_effective_group", conf_set_string, CFG(effective_group), NULL,
	    CONF_RESTART, 1, 1, NULL },
	{ "cache_effective_user", conf_set_string, CFG(effective_user),
	    "proxy", CONF_RESTART, 1, 1, NULL },
	{ "cache_log", conf_set_string, CFG(cache_log), CFG_LOGDIR "cache.log",
	    CONF_RESTART, 1, 1, NULL },
	{ "cache_mem", conf_set_size, CFG(cache_mem), "256 MB", CONF_RESTART,
	    1, 2, NULL },
	{ "cache_mgr", conf_set_string, CFG(cache_mgr), "webmaster", 0, 1, 1,
	    NULL },
	U("cache_miss_revalidate"),
	{ "cache_peer", cfg_set_peer, CFG(peers), NULL, 0, 2, ANY, NULL },
	{ "cache_peer_access", cfg_set_peer_access, 0, NULL, 0, 2, ANY,
	    NULL },
	O("cache_peer_domain",
	    "Replace with dstdomain ACLs and cache_peer_access."),
	{ "cache_replacement_policy", cfg_set_replacement_policy,
	    CFG(cache_replacement_policy), "lru", CONF_RESTART, 1, 2,
	    NULL },
	US("cache_store_log", "none"),
	{ "cache_swap_high", cfg_set_swap_percent, CFG(cache_swap_high), "95",
	    CONF_RESTART, 1, 1, NULL },
	U("cache_swap_log"),
	{ "cache_swap_low", cfg_set_swap_percent, CFG(cache_swap_low), "90",
	    CONF_RESTART, 1, 1, NULL },
	U("cache_swap_state"),
	O("cache_vary",
	    "This option is not yet supported by Squid-3."),
	{ "cachemgr_passwd", cfg_set_cachemgr_passwd, CFG(cachemgr_passwd),
	    NULL, 0, 1, ANY, NULL },
	U("check_hostnames"),
	U("chroot"),
	O("chunked_request_body_max_size",
	    "Remove this line. Squid is now HTTP/1.1 compliant."),
	{ "client_db", cfg_set_client_db, CFG(client_db), "on", 0, 1, 1, NULL },
	U("client_delay_access"),
	U("client_delay_initial_bucket_level"),
	U("client_delay_parameters"),
	U("client_delay_pools"),
	{ "client_dst_passthru", conf_set_bool, CFG(client_dst_passthru), "on",
	    0, 1, 1, NULL },
	{ "client_idle_pconn_timeout", conf_set_time,
	    CFG(client_idle_pconn_timeout), "2 minutes", 0, 1, 2, NULL },
	{ "client_ip_max_connections", conf_set_int,
	    CFG(client_ip_max_connections), "-1", 0, 1, 1, NULL },
	{ "client_lifetime", conf_set_time, CFG(client_lifetime), "1 day", 0,
	    1, 2, NULL },
	US("client_netmask", "255.255.255.255"),
	{ "client_persistent_connections", conf_set_bool,
	    CFG(client_persistent_connections), "on", 0, 1, 1, NULL },
	U("client_request_buffer_max_size"),
	U("clientside_tos"),
	{ "collapsed_forwarding", conf_set_bool, CFG(collapsed_forwarding),
	    "off", 0, 1, 1, NULL },
	U("collapsed_forwarding_access"),
	{ "configuration_includes_quoted_values", conf_set_quoted_values, 0,
	    NULL, 0, 1, 1, NULL },
	{ "connect_retries", cfg_set_connect_retries, CFG(connect_retries),
	    "0", 0, 1, 1, NULL },
	{ "connect_timeout", conf_set_time, CFG(connect_timeout), "1 minute",
	    0, 1, 2, NULL },
	{ "coredump_dir", conf_set_string_none, CFG(coredump_dir), NULL,
	    CONF_RESTART, 1, 1, NULL },
	{ "cpu_affinity_map", cfg_set_cpu_affinity_map, CFG(cpu_affinity_map),
	    NULL, 0, 0, ANY, NULL },
	/* cuttle's own (Squid has none): the bump CA served to clients */
	{ "cuttle_ca_pages", conf_set_bool, CFG(cuttle_ca_pages), "on", 0, 1,
	    1, NULL },
	U("dead_peer_timeout"),
	{ "debug_options", cfg_set_debug_options, CFG(debug_options), "ALL,1",
	    0, 1, ANY, NULL },
	{ "delay_access", delay_conf_access, 0, NULL, 0, 2, ANY, NULL },
	{ "delay_class", delay_conf_class, 0, NULL, 0, 2, 2, NULL },
	{ "delay_initial_bucket_level", delay_conf_initial,
	    CFG(delay_initial_level), "50", 0, 1, 1, NULL },
	{ "delay_parameters", delay_conf_parameters, 0, NULL, 0, 2, ANY,
	    NULL },
	{ "delay_pool_uses_indirect_client", conf_set_bool,
	    CFG(delay_pool_uses_indirect_client), "on", 0, 1, 1, NULL },
	{ "delay_pools", delay_conf_pools, 0, "0", 0, 1, 1, NULL },
	{ "deny_info", cfg_set_deny_info, CFG(deny_info), NULL, 0, 2, ANY,
	    NULL },
	US("detect_broken_pconn", "off"),
	U("digest_bits_per_entry"),
	U("digest_generation"),
	U("digest_rebuild_chunk_percentage"),
	U("digest_rebuild_period"),
	U("digest_rewrite_period"),
	U("digest_swapout_chunk_size"),
	U("diskd_program"),
	{ "dns_defnames", conf_set_bool, CFG(dns_defnames), "off",
	    CONF_RESTART, 1, 1, NULL },
	U("dns_multicast_local"),
	{ "dns_nameservers", cfg_set_nameservers, CFG(dns_nameservers), NULL,
	    0, 1, ANY, NULL },
	U("dns_packet_max"),
	U("dns_retransmit_interval"),
	O("dns_testnames",
	    "Remove this line. DNS is no longer tested on startup."),
	{ "dns_timeout", conf_set_time, CFG(dns_timeout), "30 seconds", 0, 1,
	    2, NULL },
	O("dns_v4_fallback",
	    "Remove this line. Squid performs a 'Happy Eyeballs' "
	    "algorithm, the 'fallback' algorithm is no longer relevant."),
	O("dns_v4_first",
	    "Remove this line. Squid no longer supports preferential "
	    "treatment of DNS A records."),
	U("ecap_enable"),
	U("ecap_service"),
	U("email_err_data"),
	O("emulate_httpd_log",
	    "Replace this with an access_log directive using the format "
	    "'common' or 'combined'."),
	U("err_html_text"),
	U("err_page_stylesheet"),
	U("error_default_language"),
	{ "error_directory", conf_set_string, CFG(error_directory), NULL, 0, 1,
	    1, NULL },
	U("error_log_languages"),
	O("error_map",
	    "This option is not yet supported by Squid-3."),
	U("esi_parser"),
	U("eui_lookup"),
	O("extension_methods",
	    "Remove this line. All valid methods for HTTP are accepted by"
	    " default."),
	{ "external_acl_type", cfg_set_external_acl_type,
	    CFG(external_acl_types), NULL, 0, 3, ANY, NULL },
	O("external_refresh_check",
	    "This option is not yet supported by Squid-3."),
	{ "follow_x_forwarded_for", cfg_set_access,
	    CFG(follow_x_forwarded_for), NULL, 0, 1, ANY, NULL },
	U("force_request_body_continuation"),
	O("forward_log",
	    "Use a regular access.log with ACL limiting it to MISS "
	    "events."),
	{ "forward_max_tries", conf_set_int, CFG(forward_max_tries), "25", 0,
	    1, 1, NULL },
	{ "forward_timeout", conf_set_time, CFG(forward_timeout), "4 minutes",
	    0, 1, 2, NULL },
	{ "forwarded_for", cfg_set_forwarded_for, CFG(forwarded_for), "on", 0,
	    1, 1, NULL },
	U("fqdncache_size"),
	U("ftp_client_idle_timeout"),
	U("ftp_eprt"),
	U("ftp_epsv"),
	U("ftp_epsv_all"),
	O("ftp_list_width",
	    "Remove this line. Configure FTP page display using the CSS "
	    "controls in errorpages.css instead."),
	U("ftp_passive"),
	U("ftp_port"),
	U("ftp_sanitycheck"),
	U("ftp_telnet_protocol"),
	U("ftp_user"),
	U("global_internal_static"),
	{ "half_closed_clients", conf_set_bool, CFG(half_closed_clients),
	    "off", 0, 1, 1, NULL },
	U("happy_eyeballs_connect_gap"),
	U("happy_eyeballs_connect_limit"),
	U("happy_eyeballs_connect_timeout"),
	O("header_access",
	    "Since squid-3.0 replace with request_header_access or "
	    "reply_header_access depending on whether you wish to match "
	    "client requests or server replies."),
	O("hierarchy_stoplist",
	    "Remove this line. Use always_direct or cache_peer_access "
	    "ACLs instead if you need to prevent cache_peer use."),
	U("high_memory_warning"),
	US("high_page_fault_warning", "0"),
	US("high_response_time_warning", "0"),
	U("hopeless_kid_revival_delay"),
	{ "host_verify_strict", conf_set_bool, CFG(host_verify_strict), "off",
	    0, 1, 1, NULL },
	U("hostname_aliases"),
	{ "hosts_file", conf_set_string_none, CFG(hosts_file), "/etc/hosts", 0,
	    1, 1, NULL },
	US("htcp_access", "deny all"),
	US("htcp_clr_access", "deny all"),
	US("htcp_port", "0"),
	U("http_accel_surrogate_remote"),
	{ "http_access", cfg_set_access, CFG(http_access), NULL, 0, 1, ANY,
	    NULL },
	{ "http_port", cfg_set_port, CFG(ports), NULL, 0, 1, ANY, NULL },
	{ "http_reply_access", cfg_set_access, CFG(http_reply_access), NULL, 0,
	    1, ANY, NULL },
	{ "http_upgrade_request_protocols", cfg_set_upgrade,
	    CFG(http_upgrade_request_protocols), NULL, 0, 2, ANY, NULL },
	O("httpd_accel_no_pmtu_disc",
	    "Since squid-3.0 use the 'disable-pmtu-discovery' flag on "
	    "http_port instead."),
	U("httpd_accel_surrogate_id"),
	{ "httpd_suppress_version_string", conf_set_bool,
	    CFG(httpd_suppress_version_string), "off", 0, 1, 1, NULL },
	{ "https_port", cfg_set_port, CFG(ports), NULL, 0, 1, ANY, NULL },
	U("icap_206_enable"),
	U("icap_access"),
	U("icap_class"),
	U("icap_client_username_encode"),
	U("icap_client_username_header"),
	U("icap_connect_timeout"),
	U("icap_default_options_ttl"),
	U("icap_enable"),
	U("icap_io_timeout"),
	U("icap_log"),
	U("icap_persistent_connections"),
	U("icap_preview_enable"),
	U("icap_preview_size"),
	U("icap_retry"),
	U("icap_retry_limit"),
	U("icap_service"),
	U("icap_service_failure_limit"),
	U("icap_service_revival_delay"),
	U("icon_directory"),
	US("icp_access", "deny all"),
	US("icp_hit_stale", "*"),
	US("icp_port", "0"),
	US("icp_query_timeout", "*"),
	U("ident_lookup_access"),
	U("ident_timeout"),
	O("ie_refresh",
	    "Remove this line. The behaviour enabled by this is no longer"
	    " needed."),
	O("ignore_expect_100",
	    "Remove this line. The HTTP/1.1 feature is now fully "
	    "supported by default."),
	O("ignore_ims_on_miss",
	    "Remove this line. The HTTP/1.1 feature is now configured by "
	    "'cache_miss_revalidate'."),
	U("ignore_unknown_nameservers"),
	U("incoming_dns_average"),
	O("incoming_rate", NULL),
	U("incoming_tcp_average"),
	U("incoming_udp_average"),
	U("ipcache_high"),
	U("ipcache_low"),
	U("ipcache_size"),
	U("loadable_modules"),
	O("location_rewrite_program",
	    "This option is not yet supported by Squid-3."),
	O("log_access",
	    "Remove this line. Use acls with access_log directives to "
	    "control access logging"),
	O("log_fqdn",
	    "Remove this option from your config. To log FQDN use %>A in "
	    "the log format."),
	O("log_icap",
	    "Remove this line. Use acls with icap_log directives to "
	    "control icap logging"),
	US("log_icp_queries", "*"),
	O("log_ip_on_direct",
	    "Remove this option from your config. To log server or peer "
	    "names use %<A in the log format."),
	{ "log_mime_hdrs", conf_set_bool, CFG(log_mime_hdrs), "off", 0, 1, 1,
	    NULL },
	{ "log_uses_indirect_client", conf_set_bool,
	    CFG(log_uses_indirect_client), "on", 0, 1, 1, NULL },
	U("logfile_daemon"),
	{ "logfile_rotate", conf_set_int, CFG(logfile_rotate), "0", 0, 1, 1,
	    NULL },
	{ "logformat", cfg_set_logformat, CFG(logformats), NULL, 0, 2, ANY,
	    NULL },
	U("mail_from"),
	U("mail_program"),
	U("mark_client_connection"),
	U("mark_client_packet"),
	{ "max_filedesc", conf_set_int, CFG(max_filedescriptors), NULL, 0, 1,
	    1, NULL },
	{ "max_filedescriptors", conf_set_int, CFG(max_filedescriptors), "0",
	    CONF_RESTART, 1, 1, NULL },
	US("max_open_disk_fds", "0"),
	{ "max_stale", conf_set_time, CFG(max_stale), "1 week", 0, 1, 2, NULL },
	US("maximum_icp_query_timeout", "*"),
	{ "maximum_object_size", conf_set_size, CFG(maximum_object_size),
	    "4 MB", 0, 1, 2, NULL },
	{ "maximum_object_size_in_memory", conf_set_size,
	    CFG(maximum_object_size_in_memory), "512 KB", CONF_RESTART, 1, 2,
	    NULL },
	O("maximum_single_addr_tries",
	    "Replaced by connect_retries. The behaviour has changed, "
	    "please read the documentation before altering."),
	U("mcast_groups"),
	US("mcast_icp_query_timeout", "*"),
	U("mcast_miss_addr"),
	U("mcast_miss_encode_key"),
	U("mcast_miss_port"),
	U("mcast_miss_ttl"),
	US("memory_cache_mode", "always"),
	US("memory_cache_shared", "on"),
	US("memory_pools", "off"),
	U("memory_pools_limit"),
	{ "memory_replacement_policy", cfg_set_replacement_policy,
	    CFG(memory_replacement_policy), "lru", CONF_RESTART, 1, 2,
	    NULL },
	U("mime_table"),
	U("min_dns_poll_cnt"),
	U("min_tcp_poll_cnt"),
	U("min_udp_poll_cnt"),
	U("minimum_direct_hops"),
	U("minimum_direct_rtt"),
	{ "minimum_expiry_time", conf_set_time, CFG(minimum_expiry_time),
	    "60 seconds", 0, 1, 2, NULL },
	US("minimum_icp_query_timeout", "*"),
	{ "minimum_object_size", conf_set_size, CFG(minimum_object_size),
	    "0 KB", 0, 1, 2, NULL },
	{ "miss_access", cfg_set_access, CFG(miss_access), NULL, 0, 1, ANY,
	    NULL },
	{ "negative_dns_ttl", conf_set_time, CFG(negative_dns_ttl), "1 minute",
	    0, 1, 2, NULL },
	{ "negative_ttl", conf_set_time, CFG(negative_ttl), "0 seconds", 0, 1,
	    2, NULL },
	U("neighbor_type_domain"),
	U("netdb_filename"),
	U("netdb_high"),
	U("netdb_low"),
	U("netdb_ping_period"),
	{ "never_direct", cfg_set_access, CFG(never_direct), NULL, 0, 1, ANY,
	    NULL },
	{ "nonhierarchical_direct", conf_set_bool,
	    CFG(nonhierarchical_direct), "on", 0, 1, 1, NULL },
	{ "note", cfg_set_note, CFG(notes), NULL, 0, 2, ANY, NULL },
	US("offline_mode", "off"),
	{ "on_unsupported_protocol", cfg_set_on_unsupported_protocol,
	    CFG(on_unsupported_protocol), NULL, 0, 1, ANY, NULL },
	{ "pconn_lifetime", conf_set_time, CFG(pconn_lifetime), "0 seconds",
	    0, 1, 2, NULL },
	{ "pconn_timeout", conf_set_time, CFG(pconn_timeout), NULL, 0, 1, 2,
	    NULL },
	{ "peer_connect_timeout", conf_set_time, CFG(peer_connect_timeout),
	    "30 seconds", 0, 1, 2, NULL },
	U("persistent_connection_after_error"),
	{ "persistent_request_timeout", conf_set_time,
	    CFG(client_idle_pconn_timeout), NULL, 0, 1, 2, NULL },
	{ "pid_filename", conf_set_string_none, CFG(pid_filename),
	    "/run/cuttle.pid", CONF_RESTART, 1, 1, NULL },
	{ "pinger_enable", conf_ignore, 0, NULL, 0, 0, ANY, NULL },
	U("pinger_program"),
	US("pipeline_prefetch", "0"),
	{ "positive_dns_ttl", conf_set_time, CFG(positive_dns_ttl), "6 hours",
	    0, 1, 2, NULL },
	{ "prefer_direct", conf_set_bool, CFG(prefer_direct), "off", 0, 1, 1,
	    NULL },
	U("proxy_protocol_access"),
	U("qos_flows"),
	U("query_icmp"),
	{ "quick_abort_max", cfg_set_kb, CFG(quick_abort_max), "16 KB", 0, 1,
	    2, NULL },
	{ "quick_abort_min", cfg_set_kb, CFG(quick_abort_min), "16 KB", 0, 1,
	    2, NULL },
	{ "quick_abort_pct", cfg_set_swap_percent, CFG(quick_abort_pct), "95",
	    0, 1, 1, NULL },
	{ "range_offset_limit", cfg_set_size_acl, CFG(range_offset_limit),
	    NULL, 0, 1, ANY, NULL },
	{ "read_ahead_gap", cfg_set_bytes, CFG(read_ahead_gap), "16 KB", 0, 1,
	    2, NULL },
	{ "read_timeout", conf_set_time, CFG(read_timeout), "15 minutes", 0, 1,
	    2, NULL },
	{ "redirect_children", cfg_set_helper_children,
	    CFG(url_rewrite.children), NULL, 0, 1, ANY, NULL },
	{ "redirect_program", cfg_set_helper_program,
	    CFG(url_rewrite.program), NULL, 0, 1, ANY, NULL },
	{ "redirect_rewrites_host_header", conf_set_bool,
	    CFG(url_rewrite_host_header), NULL, 0, 1, 1, NULL },
	{ "redirector_access", cfg_set_access, CFG(url_rewrite.access), NULL,
	    0, 1, ANY, NULL },
	{ "redirector_bypass", conf_set_bool, CFG(url_rewrite.bypass), NULL,
	    0, 1, 1, NULL },
	O("referer_log",
	    "Replace this with an access_log directive using the format "
	    "'referrer'."),
	{ "refresh_all_ims", conf_set_bool, CFG(refresh_all_ims), "off", 0,
	    1, 1, NULL },
	{ "refresh_pattern", cfg_set_refresh_pattern, CFG(refresh_patterns),
	    NULL, 0, 4, ANY, NULL },
	O("refresh_stale_hit",
	    "This option is not yet supported by Squid-3."),
	U("relaxed_header_parser"),
	{ "reload_into_ims", conf_set_bool, CFG(reload_into_ims), "off", 0,
	    1, 1, NULL },
	{ "reply_body_max_size", cfg_set_size_acl,
	    CFG(reply_body_max_size), NULL, 0, 1, ANY, NULL },
	{ "reply_header_access", cfg_set_hdr_access, CFG(reply_headers), NULL,
	    0, 0, ANY, NULL },
	{ "reply_header_add", cfg_set_hdr_add, CFG(reply_headers), NULL, 0,
	    0, ANY, NULL },
	{ "reply_header_max_size", conf_set_size, CFG(reply_header_max_size),
	    "64 KB", 0, 1, 2, NULL },
	{ "reply_header_replace", cfg_set_hdr_replace, CFG(reply_headers),
	    NULL, 0, 0, ANY, NULL },
	{ "request_body_max_size", conf_set_size, CFG(request_body_max_size),
	    "0 KB", 0, 1, 2, NULL },
	U("request_entities"),
	{ "request_header_access", cfg_set_hdr_access, CFG(request_headers),
	    NULL, 0, 0, ANY, NULL },
	{ "request_header_add", cfg_set_hdr_add, CFG(request_headers), NULL, 0,
	    0, ANY, NULL },
	{ "request_header_max_size", conf_set_size,
	    CFG(request_header_max_size), "64 KB", 0, 1, 2, NULL },
	{ "request_header_replace", cfg_set_hdr_replace, CFG(request_headers),
	    NULL, 0, 0, ANY, NULL },
	{ "request_start_timeout", conf_set_time, CFG(request_start_timeout),
	    "5 minutes", 0, 1, 2, NULL },
	{ "request_timeout", conf_set_time, CFG(request_timeout), "5 minutes",
	    0, 1, 2, NULL },
	U("response_delay_pool"),
	U("response_delay_pool_access"),
	US("retry_on_error", "off"),
	{ "send_hit", cfg_set_access, CFG(send_hit), NULL, 0, 1, ANY, NULL },
	O("server_http11",
	    "Remove this line. HTTP/1.1 is supported by default."),
	{ "server_idle_pconn_timeout", conf_set_time, CFG(pconn_timeout),
	    "1 minute", 0, 1, 2, NULL },
	U("server_pconn_for_nonretriable"),
	{ "server_persistent_connections", conf_set_bool,
	    CFG(server_persistent_connections), "on", 0, 1, 1, NULL },
	US("shared_memory_locking", "off"),
	U("shared_transient_entries_limit"),
	U("short_icon_urls"),
	{ "shutdown_lifetime", conf_set_time, CFG(shutdown_lifetime),
	    "30 seconds", 0, 1, 2, NULL },
	US("sleep_after_fork", "0"),
	US("snmp_access", "deny all"),
	US("snmp_incoming_address", "*"),
	US("snmp_outgoing_address", "*"),
	US("snmp_port", "0"),
	U("spoof_client_ip"),
	{ "ssl_bump", cfg_set_ssl_bump, CFG(ssl_bump), NULL, 0, 1, ANY, NULL },
	{ "ssl_bump_cert_key", cfg_set_cert_key, CFG(ssl_bump_cert_key_ca),
	    "ecdsa", 0, 1, 1, NULL },
	{ "ssl_bump_learn_splice", cfg_set_time_off,
	    CFG(ssl_bump_learn_splice), "off", 0, 1, 2, NULL },
	{ "ssl_bump_learn_splice_file", conf_set_string,
	    CFG(ssl_bump_learn_splice_file), CFG_STATEDIR "learned_splice", 0,
	    1, 1, NULL },
	U("ssl_engine"),
	US("ssl_unclean_shutdown", "off"),
	{ "sslcrtd_children", cfg_set_sslcrtd_children, CFG(sslcrtd_children),
	    "32 startup=5 idle=1", 0, 1, ANY, NULL },
	{ "sslcrtd_program", cfg_set_helper_program, CFG(sslcrtd_program),
	    NULL, 0, 1, ANY, NULL },
	U("sslcrtvalidator_children"),
	U("sslcrtvalidator_program"),
	U("sslpassword_program"),
	O("sslproxy_cafile",
	    "Remove this line. Use tls_outgoing_options cafile= instead."),
	O("sslproxy_capath",
	    "Remove this line. Use tls_outgoing_options capath= instead."),
	{ "sslproxy_cert_adapt", cfg_set_cert_adapt, CFG(sslproxy_cert_adapt),
	    NULL, 0, 1, ANY, NULL },
	{ "sslproxy_cert_error", cfg_set_access, CFG(sslproxy_cert_error),
	    NULL, 0, 1, ANY, NULL },
	{ "sslproxy_cert_sign", cfg_set_cert_sign, CFG(sslproxy_cert_sign),
	    NULL, 0, 1, ANY, NULL },
	{ "sslproxy_cert_sign_hash", cfg_set_cert_sign_hash,
	    CFG(sslproxy_cert_sign_hash), "sha256", 0, 1, 1, NULL },
	O("sslproxy_cipher",
	    "Remove this line. Use tls_outgoing_options cipher= instead."),
	O("sslproxy_client_certificate",
	    "Remove this line. Use tls_outgoing_options cert= instead."),
	O("sslproxy_client_key",
	    "Remove this line. Use tls_outgoing_options key= instead."),
	O("sslproxy_flags",
	    "Remove this line. Use tls_outgoing_options flags= instead."),
	U("sslproxy_foreign_intermediate_certs"),
	O("sslproxy_options",
	    "Remove this line. Use tls_outgoing_options options= instead."),
	U("sslproxy_session_cache_size"),
	U("sslproxy_session_ttl"),
	O("sslproxy_version",
	    "Remove this line. Use tls_outgoing_options options= instead."),
	U("stats_collection"),
	U("store_avg_object_size"),
	U("store_dir_select_algorithm"),
	{ "store_id_access", cfg_set_access, CFG(store_id.access), NULL, 0, 1,
	    ANY, NULL },
	{ "store_id_bypass", conf_set_bool, CFG(store_id.bypass), "on", 0, 1,
	    1, NULL },
	{ "store_id_children", cfg_set_helper_children, CFG(store_id.children),
	    "20 startup=0 idle=1 concurrency=0", 0, 1, ANY, NULL },
	{ "store_id_extras", cfg_set_helper_format, CFG(store_id.extras),
	    "\"%>a/%>A %un %>rm myip=%la myport=%lp\"", 0, 1, ANY, NULL },
	{ "store_id_program", cfg_set_helper_program, CFG(store_id.program),
	    NULL, 0, 1, ANY, NULL },
	{ "store_miss", cfg_set_access, CFG(store_miss), NULL, 0, 1, ANY,
	    NULL },
	U("store_objects_per_bucket"),
	U("storeurl_access"),
	U("storeurl_bypass"),
	{ "storeurl_rewrite_access", cfg_set_access, CFG(store_id.access),
	    NULL, 0, 1, ANY, NULL },
	{ "storeurl_rewrite_bypass", conf_set_bool, CFG(store_id.bypass), NULL,
	    0, 1, 1, NULL },
	{ "storeurl_rewrite_children", cfg_set_helper_children,
	    CFG(store_id.children), NULL, 0, 1, ANY, NULL },
	{ "storeurl_rewrite_program", cfg_set_helper_program,
	    CFG(store_id.program), NULL, 0, 1, ANY, NULL },
	{ "strip_query_terms", conf_set_bool, CFG(strip_query_terms), "on", 0,
	    1, 1, NULL },
	{ "targeted_cache_control", cfg_set_targeted_cc,
	    CFG(targeted_cache_control), "accel CDN-Cache-Control", 0, 1, ANY,
	    NULL },
	{ "tcp_outgoing_address", cfg_set_outgoing_addr,
	    CFG(tcp_outgoing_address), NULL, 0, 1, ANY, NULL },
	U("tcp_outgoing_ds"),
	U("tcp_outgoing_dscp"),
	U("tcp_outgoing_mark"),
	U("tcp_outgoing_tos"),
	U("tcp_recv_bufsize"),
	U("test_reachability"),
	{ "tls_outgoing_options", cfg_set_tls_outgoing, CFG(tls_outgoing),
	    "min-version=1.0", 0, 1, ANY, NULL },
	U("tproxy_uses_indirect_client"),
	U("udp_incoming_address"),
	U("udp_outgoing_address"),
	US("udp_port", "0"),
	{ "umask", conf_set_int, CFG(umask), "027", 0, 1, 1, NULL },
	{ "unique_hostname", conf_set_string, CFG(unique_hostname), NULL, 0,
	    1, 1, NULL },
	U("unlinkd_program"),
	O("update_headers",
	    "Remove this line. The feature is supported by default in "
	    "storage types where update is implemented."),
	O("upgrade_http0.9",
	    "Remove this line. ICY/1.0 streaming protocol is supported by"
	    " default."),
	{ "uri_whitespace", cfg_set_uri_whitespace, CFG(uri_whitespace),
	    "strip", 0, 1, 1, NULL },
	{ "url_rewrite_access", cfg_set_access, CFG(url_rewrite.access), NULL,
	    0, 1, ANY, NULL },
	{ "url_rewrite_bypass", conf_set_bool, CFG(url_rewrite.bypass), "off",
	    0, 1, 1, NULL },
	{ "url_rewrite_children", cfg_set_helper_children,
	    CFG(url_rewrite.children), "20 startup=0 idle=1 concurrency=0", 0,
	    1, ANY, NULL },
	O("url_rewrite_concurrency",
	    "Remove this line. Set the 'concurrency=' option of "
	    "url_rewrite_children instead."),
	{ "url_rewrite_extras", cfg_set_helper_format, CFG(url_rewrite.extras),
	    "\"%>a/%>A %un %>rm myip=%la myport=%lp\"", 0, 1, ANY, NULL },
	{ "url_rewrite_host_header", conf_set_bool,
	    CFG(url_rewrite_host_header), "on", 0, 1, 1, NULL },
	{ "url_rewrite_program", cfg_set_helper_program,
	    CFG(url_rewrite.program), NULL, 0, 1, ANY, NULL },
	{ "url_rewrite_timeout", cfg_set_helper_timeout, CFG(url_rewrite),
	    NULL, 0, 1, ANY, NULL },
	O("useragent_log",
	    "Replace this with an access_log directive using the format "
	    "'useragent'."),
	US("vary_ignore_expire", "off"),
	{ "via", cfg_set_via, CFG(via), "on", 0, 1, 1, NULL },
	{ "visible_hostname", conf_set_string, CFG(visible_hostname), NULL, 0,
	    1, 1, NULL },
	O("wais_relay_host",
	    "Replace this line with 'cache_peer' configuration."),
	O("wais_relay_port",
	    "Replace this line with 'cache_peer' configuration."),
	U("wccp2_address"),
	U("wccp2_assignment_method"),
	U("wccp2_forwarding_method"),
	U("wccp2_rebuild_wait"),
	U("wccp2_return_method"),
	U("wccp2_router"),
	U("wccp2_service"),
	U("wccp2_service_info"),
	U("wccp2_weight"),
	U("wccp_address"),
	U("wccp_router"),
	U("wccp_version"),
	U("windows_ipaddrchangemonitor"),
	{ "workers", cfg_set_workers, CFG(workers), "1", 0, 1, 1, NULL },
	{ "write_timeout", conf_set_time, CFG(write_timeout), "15 minutes", 0,
	    1, 2, NULL },
	O("zero_buffers", NULL),
	O("zph_local",
	    "Alter these entries. Use the qos_flows directive instead."),
};

#undef U
#undef O
#undef ANY

const struct conf_directive *
cfg_directives(size_t *n)
{
	*n = sizeof(cfg_table) / sizeof(cfg_table[0]);
	return cfg_table;
}

/* Squid 5.7's ACLMaxConnection::prepareForUse */
static void
cfg_maxconn_without_client_db(const char *name)
{
	log_warnx("'maxconn' ACL (%s) won't work with client_db "
	    "disabled", name);
}

static int
cfg_load_over(struct cfg *cfg, const char *path, int process_number,
    const struct cfg *running)
{
	int errors;

	memset(cfg, 0, sizeof(*cfg));
	cfg->config_file = cfg_strdup(path);
	acl_set_init(&cfg->acls);
	cfg->acls.ext_types = &cfg->external_acl_types;
	cfg->running = running;
	errors = conf_load(cfg_table, sizeof(cfg_table) / sizeof(cfg_table[0]),
	    cfg, path, process_number);
	cfg->running = NULL;
	/* Squid 5.7 silently waits for ever here (helper.cc checks timeouts
	 * only for helpers with channel IDs): say so */
	if (cfg->url_rewrite.timeout_ms > 0 && cfg->url_rewrite.program !=
	    NULL && cfg->url_rewrite.children.concurrency == 0)
		log_warnx("url_rewrite_timeout has no effect without "
		    "url_rewrite_children concurrency=1 or more, as in Squid");
	if (!cfg->client_db)
		acl_set_each_maxconn(&cfg->acls, cfg_maxconn_without_client_db);
	return errors;
}

int
cfg_load(struct cfg *cfg, const char *path, int process_number)
{
	return cfg_load_over(cfg, path, process_number, NULL);
}

int
cfg_reload(struct cfg *cfg, const char *path, const struct cfg *running)
{
	return cfg_load_over(cfg, path, 0, running);
}

static void
cfg_free_rule(struct access_rule *r)
{
	free(r->refs);
}

static void
cfg_free_size_acls(struct cfg_size_acl **list)
{
	struct cfg_size_acl *sa;

	while ((sa = *list) != NULL) {
		*list = sa->next;
		cfg_free_rule(&sa->rule);
		free(sa);
	}
}

static void
cfg_free_notes(struct cfg_note **list)
{
	struct cfg_note *n;

	while ((n = *list) != NULL) {
		*list = n->next;
		cfg_free_rule(&n->rule);
		free(n->key);
		free(n->value);
		free(n);
	}
}

void
cfg_free(struct cfg *cfg)
{
	struct cfg_port *p;
	struct cfg_access_log *al;
	struct cfg_logformat *lf;
	struct cfg_deny_info *di;
	struct cfg_outgoing_addr *oa;
	struct cfg_refresh *rp;
	struct cfg_str_list *sl;

	while ((p = cfg->ports) != NULL) {
		cfg->ports = p->next;
		free(p->spec);
		free(p->name);
		tls_port_free(p);
		free(p->defaultsite);
		free(p->file);
		free(p);
	}
	while ((al = cfg->access_logs) != NULL) {
		cfg->access_logs = al->next;
		free(al->path);
		free(al->module);
		access_list_free(&al->acls);
		free(al);
	}
	while ((lf = cfg->logformats) != NULL) {
		cfg->logformats = lf->next;
		free(lf->name);
		logformat_free(lf->format);
		free(lf);
	}
	while ((di = cfg->deny_info) != NULL) {
		cfg->deny_info = di->next;
		free(di->page);
		free(di->refs);
		free(di);
	}
	cfg_free_size_acls(&cfg->reply_body_max_size);
	cfg_free_notes(&cfg->notes);
	cfg_free_size_acls(&cfg->range_offset_limit);
	while ((oa = cfg->tcp_outgoing_address) != NULL) {
		cfg->tcp_outgoing_address = oa->next;
		cfg_free_rule(&oa->rule);
		free(oa);
	}
	cfg_free_cache_dirs(&cfg->cache_dirs);
	cfg_free_peers(&cfg->peers);
	access_list_free(&cfg->always_direct);
	access_list_free(&cfg->never_direct);
	while ((rp = cfg->refresh_patterns) != NULL) {
		cfg->refresh_patterns = rp->next;
		regfree(rp->regex);
		free(rp->regex);
		free(rp->regex_src);
		free(rp);
	}
	while ((sl = cfg->dns_nameservers) != NULL) {
		cfg->dns_nameservers = sl->next;
		free(sl->s);
		free(sl);
	}
	cfg_free_str_list(&cfg->targeted_cache_control.fields);
	access_list_free(&cfg->follow_x_forwarded_for);
	access_list_free(&cfg->http_access);
	access_list_free(&cfg->ssl_bump);
	cfg_free_argv(&cfg->sslcrtd_program);
	cfg_free_cert_rules(&cfg->sslproxy_cert_sign);
	cfg_free_cert_rules(&cfg->sslproxy_cert_adapt);
	free(cfg->sslproxy_cert_sign_hash);
	access_list_free(&cfg->on_unsupported_protocol);
	cfg_free_tls_outgoing(&cfg->tls_outgoing);
	access_list_free(&cfg->sslproxy_cert_error);
	access_list_free(&cfg->http_reply_access);
	cfg_free_upgrade(&cfg->http_upgrade_request_protocols);
	hdr_rules_free(&cfg->request_headers);
	hdr_rules_free(&cfg->reply_headers);
	access_list_free(&cfg->cache_access);
	access_list_free(&cfg->miss_access);
	access_list_free(&cfg->send_hit);
	access_list_free(&cfg->store_miss);
	delay_conf_free(cfg);
	cfg_free_url_helper(&cfg->url_rewrite);
	cfg_free_url_helper(&cfg->store_id);
	cfg_free_argv(&cfg->auth_basic.program);
	cfg_free_argv(&cfg->auth_negotiate.program);
	free(cfg->auth_basic.realm);
	if (cfg->auth_basic.key_extras != NULL)
		logformat_free(cfg->auth_basic.key_extras);
	cfg_free_auth_digest(&cfg->auth_digest);
	acl_set_free(&cfg->acls);
	extacl_types_free(&cfg->external_acl_types);
	free(cfg->config_file);
	free(cfg->effective_user);
	free(cfg->effective_group);
	free(cfg->pid_filename);
	free(cfg->coredump_dir);
	free(cfg->ssl_bump_learn_splice_file);
	free(cfg->visible_hostname);
	free(cfg->unique_hostname);
	free(cfg->cache_mgr);
	cfg_mgr_passwd_free(&cfg->cachemgr_passwd);
	cfg_cpu_affinity_free(&cfg->cpu_affinity_map);
	free(cfg->cache_log);
	free(cfg->debug_options);
	free(cfg->hosts_file);
	free(cfg->error_directory);
	memset(cfg, 0, sizeof(*cfg));
}
