/*
 * Shared by the libFuzzer targets: a copy of the input in a buffer of
 * exactly its size (so AddressSanitizer sees a read one byte past it) and a
 * check that aborts with the broken property's name, which libFuzzer then
 * saves as a crash like any sanitizer report.
 */
#ifndef CUTTLE_FUZZ_H
#define CUTTLE_FUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: property failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* A malloc'd copy of data[0..size); with nul, one more byte set to '\0'. */
static inline char *
fuzz_copy(const unsigned char *data, size_t size, int nul)
{
	char *p = malloc(size + (nul ? 1 : 0) + (size == 0 && !nul));

	if (p == NULL)
		abort();
	memcpy(p, data, size);
	if (nul)
		p[size] = '\0';
	return p;
}

#endif
