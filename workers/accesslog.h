/*
 * access.log writing in a worker: every access_log line whose ACLs match
 * gets the transaction in its logformat.
 */
#ifndef CUTTLE_ACCESSLOG_H
#define CUTTLE_ACCESSLOG_H

struct xact;

int accesslog_open(void);	/* after the privilege drop */
void accesslog_reopen(void);	/* -k rotate */
void accesslog_write(struct xact *x);
void accesslog_flush(void);	/* once per loop turn, and at exit */

#endif
