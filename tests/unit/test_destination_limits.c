/* test_destination_limits: connection slots per destination and in total, the FIFO line of
 * waiters, a kept connection handed over with its slot to a waiter for the same server
 * (RFC 5321 §3.3 reuse), and new maxima taking effect on a reload. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deliver/destination_limits.h"

struct waiter {
	int resumed;
	void *connection;
	unsigned uses;
};

static void resume(void *context, void *connection, unsigned uses)
{
	struct waiter *waiter = context;

	waiter->resumed++;
	waiter->connection = connection;
	waiter->uses = uses;
}

static void per_destination_limit_then_fifo(void)
{
	struct destination_limits *limits = destination_limits_create(2, 10);
	struct waiter first = {0}, second = {0};

	CHECK(destination_limits_acquire(limits, "a.test", "k", resume, NULL));
	CHECK(destination_limits_acquire(limits, "A.TEST", "k", resume, NULL)); /* same domain, any case */
	CHECK(!destination_limits_acquire(limits, "a.test", "k", resume, &first));
	CHECK(!destination_limits_acquire(limits, "a.test", "k", resume, &second));
	CHECK(destination_limits_acquire(limits, "b.test", "k", resume, NULL)); /* others are not held up */
	destination_limits_release(limits, "a.test");
	CHECK_INT(first.resumed, 1);
	CHECK(first.connection == NULL);
	CHECK_INT(second.resumed, 0);
	destination_limits_release(limits, "a.test");
	CHECK_INT(second.resumed, 1);
	destination_limits_release(limits, "a.test");
	destination_limits_release(limits, "a.test");
	destination_limits_release(limits, "b.test");
	destination_limits_free(limits);
}

static void total_limit_across_destinations(void)
{
	struct destination_limits *limits = destination_limits_create(5, 2);
	struct waiter waiting = {0};

	CHECK(destination_limits_acquire(limits, "a.test", "k", resume, NULL));
	CHECK(destination_limits_acquire(limits, "b.test", "k", resume, NULL));
	CHECK(!destination_limits_acquire(limits, "c.test", "k", resume, &waiting));
	CHECK(destination_limits_contended(limits, "a.test")); /* a slot of a.test would start c.test */
	destination_limits_release(limits, "a.test");
	CHECK_INT(waiting.resumed, 1);
	CHECK(!destination_limits_contended(limits, "b.test"));
	destination_limits_release(limits, "b.test");
	destination_limits_release(limits, "c.test");
	destination_limits_free(limits);
}

static void rfc5321_3_3_kept_connection_goes_to_a_waiter_for_the_same_server(void)
{
	struct destination_limits *limits = destination_limits_create(1, 10);
	struct waiter other = {0}, same = {0};
	int connection;

	CHECK(destination_limits_acquire(limits, "a.test", "mx1", resume, NULL));
	CHECK(!destination_limits_acquire(limits, "a.test", "mx2", resume, &other));
	CHECK(!destination_limits_acquire(limits, "a.test", "mx1", resume, &same));
	CHECK(!destination_limits_hand_over(limits, "b.test", "mx1", &connection, 1));
	CHECK(destination_limits_hand_over(limits, "a.test", "mx1", &connection, 3));
	CHECK_INT(same.resumed, 1);
	CHECK(same.connection == &connection);
	CHECK_INT(same.uses, 3);
	CHECK_INT(other.resumed, 0);
	CHECK(destination_limits_contended(limits, "a.test")); /* mx2 still waits for a.test */
	CHECK(!destination_limits_hand_over(limits, "a.test", "mx1", &connection, 4));
	destination_limits_release(limits, "a.test"); /* the slot that came with the connection */
	CHECK_INT(other.resumed, 1);
	CHECK(other.connection == NULL);
	destination_limits_release(limits, "a.test");
	destination_limits_free(limits);
}

static void reload_raises_the_limit_and_starts_waiters(void)
{
	struct destination_limits *limits = destination_limits_create(1, 1);
	struct waiter first = {0}, second = {0};

	CHECK(destination_limits_acquire(limits, "a.test", "k", resume, NULL));
	CHECK(!destination_limits_acquire(limits, "a.test", "k", resume, &first));
	CHECK(!destination_limits_acquire(limits, "b.test", "k", resume, &second));
	destination_limits_configure(limits, 2, 3);
	CHECK_INT(first.resumed, 1);
	CHECK_INT(second.resumed, 1);
	destination_limits_configure(limits, 1, 1); /* lower: taken slots stay, new ones wait */
	CHECK(!destination_limits_acquire(limits, "c.test", "k", resume, &first));
	destination_limits_free(limits); /* frees the waiter still in line */
}

static void zero_means_the_defaults(void)
{
	struct destination_limits *limits = destination_limits_create(0, 0);
	struct waiter waiting = {0};
	int taken = 0;

	while (taken < 100 && destination_limits_acquire(limits, "a.test", "k", resume, &waiting))
		taken++;
	CHECK_INT(taken, DESTINATION_CONNECTIONS_INITIAL);
	for (int i = 0; i < 100; i++)
		destination_limits_success(limits, "a.test");
	taken += waiting.resumed; /* the one in line started as the window grew */
	while (taken < 100 && destination_limits_acquire(limits, "a.test", "k", resume, &waiting))
		taken++;
	CHECK_INT(taken, DESTINATION_CONNECTIONS_MAX);
	destination_limits_free(limits);
}

/* Slow start: a few connections first, one more per success, back to a few once all closed. */
static void slow_start_grows_with_successes_and_resets_when_idle(void)
{
	struct destination_limits *limits = destination_limits_create(8, 64);
	struct waiter sixth = {0};

	for (int i = 0; i < DESTINATION_CONNECTIONS_INITIAL; i++)
		CHECK(destination_limits_acquire(limits, "a.test", "k", resume, NULL));
	CHECK(!destination_limits_acquire(limits, "a.test", "k", resume, &sixth));
	CHECK(destination_limits_acquire(limits, "b.test", "k", resume, NULL)); /* others are not held */
	destination_limits_success(limits, "a.test");
	CHECK_INT(sixth.resumed, 1); /* the window grew: the waiter starts */
	for (int i = 0; i < DESTINATION_CONNECTIONS_INITIAL + 1; i++)
		destination_limits_release(limits, "a.test");
	for (int i = 0; i < DESTINATION_CONNECTIONS_INITIAL; i++)
		CHECK(destination_limits_acquire(limits, "a.test", "k", resume, NULL));
	CHECK(!destination_limits_acquire(limits, "a.test", "k", resume, &sixth)); /* reset to the start */
	destination_limits_free(limits);
}

int main(void)
{
	RUN(per_destination_limit_then_fifo);
	RUN(total_limit_across_destinations);
	RUN(rfc5321_3_3_kept_connection_goes_to_a_waiter_for_the_same_server);
	RUN(reload_raises_the_limit_and_starts_waiters);
	RUN(zero_means_the_defaults);
	RUN(slow_start_grows_with_successes_and_resets_when_idle);
	return check_summary("test_destination_limits");
}
