/*
 * Fatal-signal reporter.  The handler runs on an alternate stack (a stack
 * overflow must still be reported) and uses only async-signal-safe calls:
 * write(2), backtrace_symbols_fd(3) (backtrace(3) is called once at install
 * so that its lazy loading of libgcc does not happen in the handler), and
 * hand-written number formatting instead of snprintf and localtime.
 */
#include "config.h"
#include "crash.h"
#include "log.h"

#include <execinfo.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CRASH_FRAMES 24

static char crash_role[32] = "process";
static int crash_kid;
static long crash_gmtoff;	/* local time offset, read at install */

/* Appends to a fixed buffer, never past its end. */
struct crash_buf {
	char	 s[512];
	size_t	 n;
};

static void
cb_str(struct crash_buf *b, const char *s)
{
	while (*s != '\0' && b->n < sizeof(b->s) - 1)
		b->s[b->n++] = *s++;
}

static void
cb_num(struct crash_buf *b, unsigned long v, int width)
{
	char d[24];
	int i = 0;

	do {
		d[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && i < (int)sizeof(d));
	while (i < width && i < (int)sizeof(d))
		d[i++] = '0';
	while (i > 0 && b->n < sizeof(b->s) - 1)
		b->s[b->n++] = d[--i];
}

/* cache.log's "YYYY/MM/DD HH:MM:SS" from a count of seconds. */
static void
cb_time(struct crash_buf *b, long t)
{
	long days = t / 86400, secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* civil date from days since 1970-01-01 (proleptic Gregorian) */
	long z = days + 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long day = doy - (153 * mp + 2) / 5 + 1;
	long month = mp < 10 ? mp + 3 : mp - 9;
	long year = yoe + era * 400 + (month <= 2);

	cb_num(b, (unsigned long)year, 4);
	cb_str(b, "/");
	cb_num(b, (unsigned long)month, 2);
	cb_str(b, "/");
	cb_num(b, (unsigned long)day, 2);
	cb_str(b, " ");
	cb_num(b, (unsigned long)(secs / 3600), 2);
	cb_str(b, ":");
	cb_num(b, (unsigned long)(secs / 60 % 60), 2);
	cb_str(b, ":");
	cb_num(b, (unsigned long)(secs % 60), 2);
}

static const char *
crash_signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGABRT: return "SIGABRT";
	default: return "signal";
	}
}

static void
crash_handler(int sig)
{
	struct crash_buf b = { .n = 0 };
	void *frames[CRASH_FRAMES];
	int fd = log_get_fd();
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	cb_time(&b, (long)ts.tv_sec + crash_gmtoff);
	if (crash_kid > 0) {
		cb_str(&b, " kid");
		cb_num(&b, (unsigned long)crash_kid, 1);
	}
	cb_str(&b, "| FATAL: ");
	cb_str(&b, crash_role);
	cb_str(&b, " (pid ");
	cb_num(&b, (unsigned long)getpid(), 1);
	cb_str(&b, ") received signal ");
	cb_num(&b, (unsigned long)sig, 1);
	cb_str(&b, " (");
	cb_str(&b, crash_signame(sig));
	cb_str(&b, "); backtrace follows\n");
	if (write(fd, b.s, b.n) < 0) {
		/* nowhere left to report it */
	}
	int n = backtrace(frames, CRASH_FRAMES);
	/* frame 0 is this handler, frame 1 the kernel's trampoline */
	if (n > 2)
		backtrace_symbols_fd(frames + 2, n - 2, fd);
	/* die of the same signal: SA_RESETHAND restored the default action */
	raise(sig);
}

/* AddressSanitizer's own SEGV report is better than ours: leave it be. */
#if defined(__SANITIZE_ADDRESS__)
#define CRASH_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CRASH_UNDER_ASAN 1
#endif
#endif

void
crash_handler_install(const char *role, int kid)
{
#ifdef CRASH_UNDER_ASAN
	(void)role;
	(void)kid;
	(void)crash_handler;
	return;
#endif
	static char altstack[64 * 1024];
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa;
	stack_t ss;
	void *warm[2];
	struct tm tm;
	time_t now = time(NULL);

	size_t i;
	for (i = 0; role[i] != '\0' && i < sizeof(crash_role) - 1; i++)
		crash_role[i] = role[i];
	crash_role[i] = '\0';
	crash_kid = kid;
	localtime_r(&now, &tm);
	crash_gmtoff = tm.tm_gmtoff;
	(void)backtrace(warm, 2);	/* loads libgcc outside the handler */

	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash_handler;
	sa.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}
