/*
 * ssl_db: the certificate cache directory Squid's security_file_certgen
 * keeps (index.txt, certs/<SERIAL>.pem, size), read and written the way
 * Squid 5.7 does so that our helper, the worker and Squid's own helper can
 * share one directory: same rows, same file names, same size accounting,
 * same eviction order, same flock on index.txt.
 *
 * The index part (ssl_db_index_*) is pure text handling; the rest works on
 * the directory and uses OpenSSL for the stored PEM files.
 */
#ifndef CUTTLE_SSL_DB_H
#define CUTTLE_SSL_DB_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tls_mint.h"

/* index.txt columns, in OpenSSL TXT_DB order. */
enum ssl_db_col {
	SSL_DB_KEY,		/* cache key (ssl_db_key) */
	SSL_DB_EXPIRY,		/* notAfter, raw ASN.1 time text */
	SSL_DB_REVOKED,		/* always empty */
	SSL_DB_SERIAL,		/* uppercase hex, the certs/ file name */
	SSL_DB_NAME,		/* subject, X509_NAME_oneline form */
	SSL_DB_COLUMNS
};

struct ssl_db_row {
	char		*col[SSL_DB_COLUMNS];
};

/*
 * Rows in file order: the first is the oldest and is evicted first.  The
 * key and serial columns are hashed (row number + 1 per slot, 0 empty):
 * a linear search per row made loading 2,000 rows 88% of the helper's
 * work.  A removal shifts row numbers, so it marks the tables stale and
 * the next lookup rebuilds them.
 */
struct ssl_db_index {
	struct ssl_db_row *rows;
	size_t		 n, cap;
	size_t		*by_key, *by_serial;
	size_t		 slots;		/* a power of two, or 0: none yet */
	int		 stale;
};

/* Parse index.txt text as TXT_DB_read does; -1 if it is corrupted. */
int ssl_db_index_parse(struct ssl_db_index *idx, const char *text, size_t len);
/* The file text as TXT_DB_write makes it; malloc'd, length in *len. */
char *ssl_db_index_format(const struct ssl_db_index *idx, size_t *len);
/* Rows from..n-1 alone, as they end that text. */
char *ssl_db_index_format_from(const struct ssl_db_index *idx, size_t from,
    size_t *len);
/* Row number of a key or serial (leading zeros ignored), or -1. */
long ssl_db_index_find_key(const struct ssl_db_index *idx, const char *key);
long ssl_db_index_find_serial(const struct ssl_db_index *idx,
    const char *serial);
int ssl_db_index_append(struct ssl_db_index *idx,
    const char *const col[SSL_DB_COLUMNS]);
void ssl_db_index_remove(struct ssl_db_index *idx, size_t i);
void ssl_db_index_free(struct ssl_db_index *idx);

struct ssl_db {
	char		*dir;
	size_t		 max_size;	/* -M */
	size_t		 block;		/* -b: file sizes round up to this */
	int		 lock_fd;	/* index.txt, flock'd while in use */
	/*
	 * index.txt as last read or written here: its rows, and its text to
	 * compare the file with under the next lock.  While nobody else
	 * (another helper, Squid's) changed it, the rows are not parsed
	 * again, and a new row is appended rather than the file rewritten:
	 * both per certificate made the helper slower as ssl_db grew.
	 * (Bytes, not size and mtime: two writers within one clock tick
	 * could leave both equal.)
	 */
	struct ssl_db_index idx;
	char		*idx_text;	/* NULL: idx is not known current */
	size_t		 idx_len;
};

/*
 * Errors come back as a malloc'd message in *err, worded as Squid's, for
 * the caller to print.
 */
/* -c: make DIR, DIR/certs, DIR/size ("0") and an empty DIR/index.txt. */
int ssl_db_create(const char *dir, char **err);
/* Check that DIR is initialized and sane (fixing size), and open it. */
struct ssl_db *ssl_db_open(const char *dir, size_t max_size, size_t block,
    char **err);
void ssl_db_close(struct ssl_db *db);

/* The cache key of a request (Squid's OnDiskCertificateDbKey). */
char *ssl_db_key(const struct tls_mint_req *req);

/*
 * A stored certificate for key: 1 and *cert, *key set if there is a live
 * one whose stored origin certificate equals mimic; 0 if none; -1 on error.
 */
int ssl_db_find(struct ssl_db *db, const char *key, X509 *mimic, X509 **cert,
    EVP_PKEY **pkey, char **err);
/* Store a freshly minted certificate, evicting as needed; 0 or -1. */
int ssl_db_add(struct ssl_db *db, const char *key, X509 *cert, EVP_PKEY *pkey,
    X509 *mimic, char **err);

/* A file's size as the size file counts it: rounded up to the block. */
size_t ssl_db_round(size_t size, size_t block);
/* An index expiry column still in the future (as Squid compares it). */
int ssl_db_date_in_future(const char *asn1_time);

#endif
