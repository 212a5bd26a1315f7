/* spf_driver: runs several SPF checks (mailauth/spf.c) at once on one resolver and loop, for
 * the integration tests of what `tern spf` cannot show: checks side by side, and spf_cancel
 * with queries in flight.
 *   spf_driver SERVER IP SENDER HELO COUNT [CANCEL_AFTER_MS]
 * Prints "RESULT reason" per finished check, then "cancelled N" when CANCEL_AFTER_MS is given
 * (the checks still running then are cancelled; the loop runs 1.5 s more so that their answers
 * arrive and must be dropped: a callback after that prints "late callback"). ASan's leak check
 * at exit shows that a cancel frees everything. Exit 0, or 2 on usage. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

#include "mailauth/spf.h"

#define CHECKS_MAX 64

struct driver {
	struct event_base *base;
	struct spf_check *checks[CHECKS_MAX];
	size_t count, running;
	bool cancelled;
};

struct slot {
	struct driver *driver;
	size_t index;
};

static void on_result(void *context, const struct spf_outcome *outcome)
{
	struct slot *slot = context;
	struct driver *driver = slot->driver;

	if (driver->cancelled)
		printf("late callback\n");
	printf("%s %s\n", spf_result_name(outcome->result), outcome->reason);
	fflush(stdout);
	driver->checks[slot->index] = NULL;
	if (--driver->running == 0 && !driver->cancelled)
		event_base_loopbreak(driver->base);
}

static void on_cancel(evutil_socket_t fd, short events, void *context)
{
	struct driver *driver = context;
	size_t cancelled = 0;
	struct timeval linger = {1, 500000};

	for (size_t i = 0; i < driver->count; i++) {
		if (driver->checks[i]) {
			spf_cancel(driver->checks[i]);
			driver->checks[i] = NULL;
			cancelled++;
		}
	}
	driver->cancelled = true;
	printf("cancelled %zu\n", cancelled);
	fflush(stdout);
	event_base_loopexit(driver->base, &linger);
}

int main(int argc, char **argv)
{
	struct driver driver = {0};
	struct slot slots[CHECKS_MAX];
	struct resolver *resolver;
	struct event *cancel = NULL;
	char error[256];

	if (argc != 6 && argc != 7)
		return 2;
	driver.count = (size_t)atoi(argv[5]);
	if (driver.count == 0 || driver.count > CHECKS_MAX)
		return 2;
	driver.base = event_base_new();
	resolver = resolver_create(driver.base, argv[1], NULL, error, sizeof error);
	if (resolver == NULL) {
		fprintf(stderr, "spf_driver: %s\n", error);
		return 2;
	}
	for (size_t i = 0; i < driver.count; i++) {
		slots[i] = (struct slot){&driver, i};
		driver.checks[i] = spf_check(resolver, argv[2], argv[4], argv[3], on_result, &slots[i]);
		if (driver.checks[i] == NULL)
			return 2;
		driver.running++;
	}
	if (argc == 7) {
		struct timeval after = {atoi(argv[6]) / 1000, (atoi(argv[6]) % 1000) * 1000};
		cancel = evtimer_new(driver.base, on_cancel, &driver);
		event_add(cancel, &after);
	}
	event_base_dispatch(driver.base);
	if (cancel)
		event_free(cancel);
	resolver_free(resolver);
	event_base_free(driver.base);
	return 0;
}
