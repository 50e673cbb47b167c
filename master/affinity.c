/*
 * cpu_affinity_map at work: a kid pins itself to the core the map gives
 * its number before it serves, so the helpers it forks inherit the core
 * (Squid 5.7's CpuAffinityInit; a -N process is number 1).  The master
 * warns at start and reconfigure about numbers no kid has, as Squid's
 * CpuAffinityCheck does.  A new generation of kids applies a reloaded
 * map when it starts.
 */
#include "config.h"
#include "affinity.h"

#include <sched.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"

void
affinity_apply(const struct cfg *cfg, int process)
{
	cpu_set_t want, orig;
	int conflict;
	int core = cfg_cpu_affinity_core(cfg, process, &conflict);

	if (core <= 0)
		return;
	if (conflict)
		log_warnx("conflicting 'cpu_affinity_map' for process number "
		    "%d, using the last core seen: %d", process, core);
	if (sched_getaffinity(0, sizeof(orig), &orig) == -1) {
		log_err("failed to get CPU affinity for process PID %d, "
		    "ignoring CPU affinity for this process", (int)getpid());
		return;
	}
	CPU_ZERO(&want);
	if (core - 1 < CPU_SETSIZE)
		CPU_SET(core - 1, &want);
	CPU_AND(&want, &want, &orig);
	if (CPU_COUNT(&want) <= 0) {
		log_errx("invalid CPU affinity for process PID %d, may be "
		    "caused by an invalid core in 'cpu_affinity_map' or by "
		    "external affinity restrictions", (int)getpid());
		return;
	}
	if (sched_setaffinity(0, sizeof(want), &want) == -1)
		log_err("failed to set CPU affinity for process PID %d",
		    (int)getpid());
}

void
affinity_check(const struct cfg *cfg, int nprocesses)
{
	int max = 0;

	for (int i = 0; i < cfg->cpu_affinity_map.n; i++)
		if (cfg->cpu_affinity_map.processes[i] > max)
			max = cfg->cpu_affinity_map.processes[i];
	if (max > nprocesses)
		log_warnx("'cpu_affinity_map' has non-existing process "
		    "number(s)");
}
