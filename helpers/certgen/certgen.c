/*
 * security_file_certgen: cuttle's sslcrtd_program, a drop-in for Squid
 * 5.7's helper of the same name.  It keeps Squid's command line (-c -s DIR
 * -M SIZE, -b, -d, -h, -v), its messages and exit codes, its wire format,
 * and its ssl_db directory, so a squid.conf can point at either program
 * and both may share one DIR.  A request it cannot parse ends the process
 * with exit status 1 and a message on stderr, never an ERR reply, because
 * that is what Squid expects of this helper (it restarts it).
 */
#include "config.h"
#include "certgen.h"
#include "crash.h"
#include "ssl_db.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/statvfs.h>

#include <openssl/ssl.h>

static const char *certgen_argv0;

static void __attribute__((noreturn))
certgen_die(const char *msg)
{
	fprintf(stderr, "%s: %s\n", certgen_argv0, msg);
	exit(EXIT_FAILURE);
}

static void
certgen_usage(void)
{
	fputs("usage: security_file_certgen -hv -s directory -M size -b fs_block_size\n"
	    "\t-h                   Help\n"
	    "\t-v                   Version\n"
	    "\t-s directory         Directory path of SSL storage database.\n"
	    "\t-M size              Maximum size of SSL certificate disk storage.\n"
	    "\t-b fs_block_size     File system block size in bytes. Need for processing\n"
	    "\t                     natural size of certificate on disk. Default value is\n"
	    "\t                     2048 bytes.\n"
	    "\n"
	    "After running write requests in the next format:\n"
	    "<request code><whitespace><body_len><whitespace><body>\n"
	    "There are two kind of request now:\n"
	    "new_certificate 13 host=host.dom\n"
	    "\tCreate new private key and selfsigned certificate for \"host.dom\".\n"
	    "new_certificate xxx host=host.dom\n"
	    "-----BEGIN CERTIFICATE-----\n"
	    "...\n"
	    "-----END CERTIFICATE-----\n"
	    "-----BEGIN RSA PRIVATE KEY-----\n"
	    "...\n"
	    "-----END RSA PRIVATE KEY-----\n"
	    "\tCreate new private key and certificate request for \"host.dom\"\n"
	    "\tSign new request by received certificate and private key.\n"
	    "usage: security_file_certgen -c -s ssl_store_path\n"
	    "\t-c                   Init ssl db directories and exit.\n\n",
	    stderr);
}

/*
 * "4MB": leading digits, then a unit matched by prefix and case (B, KB,
 * MB, GB; none means bytes).  0 on a bad value, as Squid's parser.
 */
static int
certgen_parse_bytes(const char *value, size_t *bytes)
{
	const char *unit = value;
	size_t mult;

	while (*unit >= '0' && *unit <= '9')
		unit++;
	if (unit == value)
		return 0;
	if (strncasecmp(unit, "B", 1) == 0 || *unit == '\0')
		mult = 1;
	else if (strncasecmp(unit, "KB", 2) == 0)
		mult = 1 << 10;
	else if (strncasecmp(unit, "MB", 2) == 0)
		mult = 1 << 20;
	else if (strncasecmp(unit, "GB", 2) == 0)
		mult = 1 << 30;
	else {
		fprintf(stderr, "WARNING: Unknown bytes unit '%s'\n", unit);
		return 0;
	}
	*bytes = strtoull(value, NULL, 10) * mult;
	return 1;
}

static void
certgen_db_failed(const char *dir, char *err, const char *dflt)
{
	fprintf(stderr, "security_file_certgen helper database '%s' failed: "
	    "%s\n", dir, err ? err : dflt);
	free(err);
}

/* Answer one new_certificate request: from the DB if it has it, else mint. */
static void
certgen_new_certificate(const char *body, struct ssl_db *db)
{
	struct tls_mint_req req;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	char *err = NULL, *dbkey = NULL, *pem, *reply, msg[256];
	size_t len, rlen;
	int db_failed = 0;

	if (certgen_req_parse(body, &req, &err) == -1) {
		snprintf(msg, sizeof(msg), "Error while parsing the crtd "
		    "request: %s", err);
		certgen_die(msg);
	}
	if (db != NULL) {
		if ((dbkey = ssl_db_key(&req)) == NULL ||
		    ssl_db_find(db, dbkey, req.mimic, &cert, &key, &err) == -1) {
			certgen_db_failed(db->dir, err, "search failed");
			err = NULL;
			db_failed = 1;
		}
	}
	if (cert == NULL) {
		if ((cert = tls_mint(&req, &key)) == NULL)
			certgen_die("Cannot create ssl certificate or private key.");
		/* Squid does not store after a failed search either. */
		if (db != NULL && !db_failed &&
		    ssl_db_add(db, dbkey, cert, key, req.mimic, &err) == -1)
			certgen_db_failed(db->dir, err,
			    "Cannot add certificate to db.");
	}
	if ((pem = tls_mint_pem(cert, key, &len)) == NULL ||
	    (reply = certgen_reply("OK", pem, len, &rlen)) == NULL)
		certgen_die("Cannot write ssl certificate or/and private key "
		    "to memory.");
	if (fwrite(reply, 1, rlen, stdout) != rlen || fflush(stdout) != 0)
		exit(EXIT_FAILURE);
	free(reply);
	free(pem);
	free(dbkey);
	X509_free(cert);
	EVP_PKEY_free(key);
	certgen_req_free(&req);
}

/* Read requests until stdin closes; EOF ends the helper with status 1. */
static void __attribute__((noreturn))
certgen_serve(struct ssl_db *db)
{
	char line[CERTGEN_LINE_MAX], msg[300];
	struct certgen_msg m;
	enum certgen_parse r;

	for (;;) {
		memset(&m, 0, sizeof(m));
		do {
			if (fgets(line, sizeof(line), stdin) == NULL)
				exit(EXIT_FAILURE);
			r = certgen_msg_parse(&m, line, strlen(line));
		} while (r == CERTGEN_INCOMPLETE);
		if (r == CERTGEN_ERROR)
			certgen_die("Cannot parse request message.");
		if (strcmp(m.code, "new_certificate") != 0) {
			snprintf(msg, sizeof(msg), "Unknown request code: \"%.200s\".",
			    m.code);
			certgen_die(msg);
		}
		certgen_new_certificate(m.body, db);
		certgen_msg_clear(&m);
	}
}

int
main(int argc, char *argv[])
{
	const char *dir = NULL;
	size_t max_size = 0, block = 0;
	struct ssl_db *db = NULL;
	struct statvfs sfs;
	char *err = NULL;
	int c, create = 0;

	certgen_argv0 = argv[0];
	crash_handler_install("security_file_certgen", 0);
	while ((c = getopt(argc, argv, "dchvs:M:b:")) != -1) {
		switch (c) {
		case 'd':
			break;	/* Squid's debug output has nothing we print */
		case 'b':
			if (!certgen_parse_bytes(optarg, &block))
				certgen_die("Error when parsing -b options value");
			break;
		case 's':
			dir = optarg;
			break;
		case 'M':
			/* -M without -s is probably a mistake: say so. */
			if (dir == NULL || *dir == '\0')
				certgen_die("Error -M option requires an -s "
				    "parameter be set first.");
			if (!certgen_parse_bytes(optarg, &max_size))
				certgen_die("Error when parsing -M options value");
			break;
		case 'v':
			printf("security_file_certgen version %s\n", VERSION);
			exit(EXIT_SUCCESS);
		case 'c':
			create = 1;
			break;
		case 'h':
			certgen_usage();
			exit(EXIT_SUCCESS);
		default:
			exit(EXIT_FAILURE);
		}
	}
	if (dir != NULL && *dir != '\0' && max_size == 0)
		certgen_die("security_file_certgen -s requires an -M parameter");
	if (create) {
		if (dir == NULL || *dir == '\0')
			certgen_die("security_file_certgen is missing the required "
			    "parameter. There should be -s and -M parameters "
			    "when -c is used.");
		printf("Initialization SSL db...\n");
		fflush(stdout);
		if (ssl_db_create(dir, &err) == -1)
			certgen_die(err);
		printf("Done\n");
		exit(EXIT_SUCCESS);
	}
	if (dir != NULL && *dir != '\0') {
		/* Sizes count whole filesystem blocks, as du would. */
		if (block == 0)
			block = statvfs(dir, &sfs) == 0 && sfs.f_frsize >= 512 ?
			    sfs.f_frsize : 2048;
		if ((db = ssl_db_open(dir, max_size, block, &err)) == NULL)
			certgen_die(err);
	}
	OPENSSL_init_ssl(0, NULL);
	certgen_serve(db);
}
