/*
 * passwd_check: the pure parts of an NCSA (htpasswd) basic auth helper,
 * with the exact semantics of Squid 5.7's basic_ncsa_auth (squid-compat.md
 * 7.2): splitting and %-decoding a request line, splitting a password file
 * line, and checking a password against a stored crypt(3), $apr1$ or plain
 * MD5 hash.  This module is the one user of libcrypt (link with -lcrypt).
 */
#ifndef CUTTLE_PASSWD_CHECK_H
#define CUTTLE_PASSWD_CHECK_H

#include <stddef.h>

/* Squid's HELPER_INPUT_BUFFER: fgets() chunks of at most this minus 1. */
#define PASSWD_CHECK_BUF	8196

enum passwd_check_result {
	PASSWD_CHECK_OK,
	PASSWD_CHECK_WRONG,
	PASSWD_CHECK_TOO_LONG	/* DES matched only by truncating to 8 */
};

enum passwd_check_line {
	PASSWD_LINE_SKIP,	/* comment, blank or no password field */
	PASSWD_LINE_ENTRY,
	PASSWD_LINE_NO_USER	/* only separators: "Missing user name" */
};

/*
 * Split "USER PASSWORD" (no newline) in place and %-decode both.  The user
 * ends at the first space after any leading spaces; the password is the
 * whole rest, spaces included.  Returns -1 if either is missing.
 */
int passwd_check_request(char *line, char **user, char **pass);

/* Split one password file line ("user:hash[:ignored...]\n") in place. */
enum passwd_check_line passwd_check_file_line(char *line, char **user,
    char **hash);

/* Check a decoded password against a stored hash, in Squid's order. */
enum passwd_check_result passwd_check_verify(const char *stored,
    const char *pass);

/*
 * MD5-crypt of pass with the salt of setting ("$apr1$" or "$1$" magic, the
 * latter implied when absent), into out (at least 40 bytes).  Returns out,
 * or NULL if out is too small or MD5 is unavailable.
 */
char *passwd_check_md5crypt(const char *pass, const char *setting, char *out,
    size_t outlen);

/* Lower-case hex MD5 of pass into out[33]; NULL if MD5 is unavailable. */
char *passwd_check_md5hex(const char *pass, char out[33]);

#endif
