/*
 * store_gauge: what each cache_dir holds, shared between its store
 * process and the workers (see store_gauge.h).
 */
#include "config.h"
#include "store_gauge.h"

#include <string.h>
#include <sys/mman.h>

#include "log.h"

struct store_gauge *
store_gauge_create(unsigned n)
{
	size_t size = (size_t)(n > 0 ? n : 1) * sizeof(struct store_gauge);
	struct store_gauge *g;

	g = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED) {
		log_err("mmap %zu bytes for the cache_dir sizes", size);
		return NULL;
	}
	return g;	/* anonymous pages start zeroed */
}

struct store_gauge
store_gauge_sum(const struct store_gauge *g, unsigned n)
{
	struct store_gauge sum;

	memset(&sum, 0, sizeof(sum));
	for (unsigned i = 0; g != NULL && i < n; i++) {
		sum.objects += g[i].objects;
		sum.bytes += g[i].bytes;
		sum.capacity += g[i].capacity;
	}
	return sum;
}
