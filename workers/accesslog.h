/*
 * access.log writing in a worker: every access_log line whose ACLs match
 * gets the transaction in its logformat.
 */
#ifndef CUTTLE_ACCESSLOG_H
#define CUTTLE_ACCESSLOG_H

struct xact;

/* Adopt the descriptors of the heritage (the master opened them). */
void accesslog_init(void);
/* -k rotate, -N reconfigure: close and open again by name, unprivileged. */
void accesslog_reopen(void);
void accesslog_write(struct xact *x);
void accesslog_flush(void);	/* once per loop turn, and at exit */

#endif
