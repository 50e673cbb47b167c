/*
 * Function-entry recorder for tests/trace/request-path.  Linked into a
 * cuttle built with -finstrument-functions: GCC then calls
 * __cyg_profile_func_enter/exit around every function of the program.
 *
 * Nothing is recorded until the process gets TRACE_HOOK_SIGNAL
 * (SIGRTMIN+3); each such signal toggles recording, so the driver brackets
 * one scenario with two signals and start-up never shows.  While on, each
 * call appends one record to $TRACE_HOOK_DIR/trace.PID: a byte 'E' (enter)
 * or 'X' (exit) followed by the function's address as a little-endian
 * uint64.  The first record of a file is 'B' with the executable's load
 * address (PIE), so that addresses can be turned back into offsets for
 * addr2line.  Turning recording off writes an 'M' (end of segment) record
 * and flushes, so the driver can read the file while the proxy runs.
 * Only a process's main thread is recorded (the event loop; a helper
 * thread, such as the worker's certificate minting, would interleave its
 * calls with the loop's in one file).
 *
 * The hook itself must not be instrumented (it would call itself), and it
 * uses only async-signal-safe work in the handler (one flag).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOINST __attribute__((no_instrument_function))
#define TRACE_HOOK_SIGNAL (SIGRTMIN + 3)

static volatile sig_atomic_t trace_on;
static int trace_was_on;
static FILE *trace_file;
static pid_t trace_pid;
static __thread int trace_thread;	/* 0 unknown, 1 main thread, 2 other */

NOINST static void
trace_toggle(int sig)
{
	(void)sig;
	trace_on = !trace_on;
}

NOINST static void
trace_put(char type, uintptr_t addr)
{
	unsigned char rec[9];
	uint64_t a = (uint64_t)addr;

	rec[0] = (unsigned char)type;
	for (int i = 0; i < 8; i++)
		rec[1 + i] = (unsigned char)(a >> (8 * i));
	fwrite(rec, 1, sizeof(rec), trace_file);
}

/* The file of this process; a forked child opens its own. */
NOINST static int
trace_open(void)
{
	const char *dir = getenv("TRACE_HOOK_DIR");
	char path[4096];
	Dl_info info;

	if (trace_file != NULL && trace_pid == getpid())
		return 0;
	trace_file = NULL;
	if (dir == NULL)
		return -1;
	trace_pid = getpid();
	snprintf(path, sizeof(path), "%s/trace.%ld", dir, (long)trace_pid);
	if ((trace_file = fopen(path, "ab")) == NULL)
		return -1;
	memset(&info, 0, sizeof(info));
	dladdr((void *)trace_put, &info);
	trace_put('B', (uintptr_t)info.dli_fbase);
	return 0;
}

NOINST static void
trace_event(char type, void *fn)
{
	if (trace_thread == 0)
		trace_thread = syscall(SYS_gettid) == getpid() ? 1 : 2;
	if (trace_thread != 1)
		return;
	if (!trace_on) {
		if (trace_was_on && trace_file != NULL && trace_pid == getpid()) {
			trace_put('M', 0);
			fflush(trace_file);
		}
		trace_was_on = 0;
		return;
	}
	if (!trace_was_on && trace_open() == -1)
		return;
	trace_was_on = 1;
	trace_put(type, (uintptr_t)fn);
}

NOINST void
__cyg_profile_func_enter(void *fn, void *site)
{
	(void)site;
	trace_event('E', fn);
}

NOINST void
__cyg_profile_func_exit(void *fn, void *site)
{
	(void)site;
	trace_event('X', fn);
}

/*
 * Installed before main.  SA_RESTART is left out on purpose: the signal
 * must interrupt epoll_wait so that the toggle is seen (and the segment
 * flushed) without waiting for the next event.
 */
NOINST __attribute__((constructor)) static void
trace_init(void)
{
	struct sigaction sa;

	if (getenv("TRACE_HOOK_DIR") == NULL)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = trace_toggle;
	sigemptyset(&sa.sa_mask);
	sigaction(TRACE_HOOK_SIGNAL, &sa, NULL);
}
