/*
 * What ps shows for each process: "cuttle: master", "cuttle: worker 1
 * (127.0.0.1:3128)", "cuttle: store /var/spool/squid".
 */
#ifndef CUTTLE_PROCTITLE_H
#define CUTTLE_PROCTITLE_H

/*
 * First thing in main: copies argv's strings (argv[i] then point to the
 * copies) and environ to the heap, and claims the memory they used.
 */
void proctitle_init(int argc, char **argv);
/* "cuttle: " and the formatted text, cut to the claimed memory. */
void proctitle_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
