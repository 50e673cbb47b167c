/*
 * Last words of a crashing process: on SIGSEGV, SIGBUS, SIGILL, SIGFPE or
 * SIGABRT one cache.log line names the signal, the process role and pid,
 * followed by a short backtrace; then the process dies of the same signal,
 * so its parent (the master) logs and restarts it as before.
 */
#ifndef CUTTLE_CRASH_H
#define CUTTLE_CRASH_H

/* role: "master", "worker", "store", a helper's name; kid as in log_init. */
void crash_handler_install(const char *role, int kid);

#endif
