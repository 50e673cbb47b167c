/*
 * Log files by name: the rename step of logfile_rotate, shared by the master
 * and the -N process, which has no master to do it.
 */
#ifndef CUTTLE_LOGFILE_H
#define CUTTLE_LOGFILE_H

/*
 * Squid's numbering: path.0 .. path.(n-2) move up one, path becomes path.0.
 * n <= 0, or a /dev/ path, renames nothing (the caller only reopens).
 */
void logfile_rotate(const char *path, int n);

#endif
