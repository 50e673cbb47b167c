/*
 * Unit tests for evloop.c's timers: the heap stays consistent when a timer
 * is re-initialised while armed (the use-after-free the cache-tests suite
 * found), re-armed, given another callback, or stopped twice; and the
 * batch hooks: several at once, each added once, one removing itself.
 */
#include "config.h"
#include "evloop.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static int fired[4];

static void
count_fire(struct ev_timer *t)
{
	fired[(long)t->arg]++;
}

static void
other_fire(struct ev_timer *t)
{
	fired[(long)t->arg] += 100;
}

static int hook_a, hook_b;

static void
hook_once(void)
{
	hook_a++;
	ev_batch_hook_del(hook_once);
}

static void
hook_always(void)
{
	hook_b++;
}

static void
stop_loop(struct ev_timer *t)
{
	(void)t;
	evloop_stop();
}

int
main(void)
{
	struct ev_timer a, b, end;
	struct ev_timer *heap_obj;

	ok(evloop_init() == 0, "evloop_init");

	/* init on an armed timer takes it out of the heap */
	ev_timer_init(&a, count_fire, (void *)0);
	ev_timer_start(&a, 0);
	ok(ev_timer_armed(&a), "started timer is armed");
	ev_timer_init(&a, count_fire, (void *)0);
	ok(!ev_timer_armed(&a), "re-initialised timer is not armed");

	/* a timer that lived in freed memory is never called after init */
	heap_obj = calloc(1, sizeof(*heap_obj));
	ev_timer_init(heap_obj, count_fire, (void *)1);
	ev_timer_start(heap_obj, 0);
	ev_timer_init(heap_obj, count_fire, (void *)1);
	ev_timer_start(heap_obj, 5);
	ev_timer_stop(heap_obj);
	free(heap_obj);

	/* set_cb keeps an armed timer armed, once, with the new callback */
	ev_timer_init(&b, count_fire, (void *)2);
	ev_timer_start(&b, 0);
	ev_timer_set_cb(&b, other_fire);
	ev_timer_start(&b, 1);
	ok(ev_timer_armed(&b), "set_cb keeps the timer armed");

	/* stopping twice is harmless */
	ev_timer_start(&a, 0);
	ev_timer_stop(&a);
	ev_timer_stop(&a);
	ok(!ev_timer_armed(&a), "stopped twice");

	/* fresh calloc'd memory (idx 0) is not taken for an armed timer */
	struct ev_timer *z = calloc(1, sizeof(*z));
	ev_timer_start(&a, 0);		/* a sits in slot 0 */
	ev_timer_init(z, count_fire, (void *)3);
	ok(ev_timer_armed(&a), "init of calloc'd memory leaves slot 0 alone");
	ev_timer_stop(&a);
	free(z);

	ev_batch_hook_add(hook_once);
	ev_batch_hook_add(hook_always);
	ev_batch_hook_add(hook_always);
	ev_timer_init(&end, stop_loop, NULL);
	ev_timer_start(&end, 20);
	evloop_run();
	is_int(hook_a, 1, "a hook that removes itself ran once");
	ok(hook_b >= 2, "a hook stays until it is removed");
	ev_batch_hook_del(hook_always);
	is_int(fired[0], 0, "stopped timer never fired");
	is_int(fired[1], 0, "freed timer never fired");
	is_int(fired[2], 100, "re-armed timer fired once with its new callback");
	return tap_done();
}
