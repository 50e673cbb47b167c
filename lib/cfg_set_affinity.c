/*
 * cpu_affinity_map process_numbers=P1,P2,... cores=C1,C2,...: kid Pi runs
 * on core Ci (numbered from 1, as in Squid 5.7).  Lines are merged; the
 * two lists must have the same length and hold numbers above 0, else
 * Squid's FATAL message.  master/affinity.c applies the map.
 */
#include "config.h"
#include "cfg.h"
#include "cfg_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "util.h"

/*
 * Squid's parseNamedIntList: "name=N1,N2,..." into list (appended to
 * *n entries); 0 if the word is that whole and well formed.
 */
static int
cfg_affinity_list(const char *word, const char *name, int **list, int *n)
{
	size_t len = strlen(name);

	if (word == NULL || strncmp(word, name, len) != 0 || word[len] != '=')
		return -1;
	const char *p = word + len;
	do {
		char *end;
		p++;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (end == p || errno != 0 || v < INT_MIN || v > INT_MAX)
			return -1;
		*list = xrealloc(*list, ((size_t)*n + 1) * sizeof(**list));
		(*list)[(*n)++] = (int)v;
		p = end;
	} while (*p == ',');
	return *p == '\0' ? 0 : -1;
}

char *
cfg_set_cpu_affinity_map(struct conf_ctx *cx, void *field, int argc,
    char **argv)
{
	struct cfg_cpu_affinity *m = field;
	int *procs = NULL, *cores = NULL, np = 0, nc = 0;
	char *err = NULL;

	(void)cx;
	if (cfg_affinity_list(argc > 0 ? argv[0] : NULL, "process_numbers",
	    &procs, &np) == -1)
		err = xstrdup("bad 'process_numbers' parameter in "
		    "'cpu_affinity_map'");
	else if (cfg_affinity_list(argc > 1 ? argv[1] : NULL, "cores",
	    &cores, &nc) == -1)
		err = xstrdup("bad 'cores' parameter in 'cpu_affinity_map'");
	else if (argc > 2)
		err = xasprintf("unexpected '%s' in 'cpu_affinity_map'",
		    argv[2]);
	else {
		int bad = np != nc;
		for (int i = 0; i < np; i++)
			bad |= procs[i] <= 0;
		for (int i = 0; i < nc; i++)
			bad |= cores[i] <= 0;
		if (bad)
			err = xstrdup("bad 'cpu_affinity_map'; process_numbers "
			    "and cores lists differ in length or contain "
			    "numbers <= 0");
	}
	if (err == NULL) {
		m->processes = xrealloc(m->processes,
		    (size_t)(m->n + np) * sizeof(int));
		m->cores = xrealloc(m->cores, (size_t)(m->n + np) *
		    sizeof(int));
		memcpy(m->processes + m->n, procs, (size_t)np * sizeof(int));
		memcpy(m->cores + m->n, cores, (size_t)np * sizeof(int));
		m->n += np;
	}
	free(procs);
	free(cores);
	return err;
}

int
cfg_cpu_affinity_core(const struct cfg *cfg, int process, int *conflict)
{
	int core = 0;

	*conflict = 0;
	for (int i = 0; i < cfg->cpu_affinity_map.n; i++)
		if (cfg->cpu_affinity_map.processes[i] == process) {
			if (core > 0)
				*conflict = 1;
			core = cfg->cpu_affinity_map.cores[i];
		}
	return core;
}

void
cfg_cpu_affinity_free(struct cfg_cpu_affinity *m)
{
	free(m->processes);
	free(m->cores);
	memset(m, 0, sizeof(*m));
}
