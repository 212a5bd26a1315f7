/* test_auth_throttle: the delay before answering failed AUTH attempts (0, then 1 s doubling to
 * 16 s), the lockout after 10 failures within 900 s and its end, forgetting on success,
 * IPv6 clients counted per /64 but IPv4 per address, and eviction of the stalest entry when
 * the table is full. */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "policy/auth_throttle.h"

#define T0 1000000

static void ipv4(unsigned char address[16], unsigned a, unsigned b, unsigned c, unsigned d)
{
	memset(address, 0, 16);
	address[10] = address[11] = 0xff;
	address[12] = (unsigned char)a;
	address[13] = (unsigned char)b;
	address[14] = (unsigned char)c;
	address[15] = (unsigned char)d;
}

/* 2001:db8:<network>::<host> */
static void ipv6(unsigned char address[16], unsigned network, unsigned host)
{
	memset(address, 0, 16);
	address[0] = 0x20;
	address[1] = 0x01;
	address[2] = 0x0d;
	address[3] = 0xb8;
	address[6] = (unsigned char)(network >> 8);
	address[7] = (unsigned char)network;
	address[14] = (unsigned char)(host >> 8);
	address[15] = (unsigned char)host;
}

static void delay_doubles_to_a_maximum(void)
{
	static const unsigned expected[] = {0, 1000, 2000, 4000, 8000, 16000, 16000, 16000};
	struct auth_throttle *throttle = auth_throttle_create();
	unsigned char address[16];

	ipv4(address, 192, 0, 2, 1);
	CHECK_INT(auth_throttle_delay_ms(throttle, address, T0), 0); /* no failure yet */
	for (unsigned i = 0; i < sizeof expected / sizeof *expected; i++) {
		auth_throttle_failure(throttle, address, T0 + i);
		CHECK_INT(auth_throttle_delay_ms(throttle, address, T0 + i), expected[i]);
	}
	auth_throttle_free(throttle);
}

static void locked_after_ten_failures_until_the_window_passes(void)
{
	struct auth_throttle *throttle = auth_throttle_create();
	unsigned char address[16], other[16];

	ipv4(address, 192, 0, 2, 1);
	ipv4(other, 192, 0, 2, 2);
	for (int i = 0; i < AUTH_THROTTLE_LOCK_FAILURES - 1; i++)
		auth_throttle_failure(throttle, address, T0 + i * 60);
	CHECK(!auth_throttle_locked(throttle, address, T0 + 540));
	auth_throttle_failure(throttle, address, T0 + 600);
	CHECK(auth_throttle_locked(throttle, address, T0 + 600));
	CHECK(auth_throttle_locked(throttle, address, T0 + 600 + AUTH_THROTTLE_WINDOW - 1));
	CHECK(!auth_throttle_locked(throttle, other, T0 + 600));
	CHECK(!auth_throttle_locked(throttle, address, T0 + 600 + AUTH_THROTTLE_WINDOW));
	CHECK_INT(auth_throttle_delay_ms(throttle, address, T0 + 600 + AUTH_THROTTLE_WINDOW), 0);
	/* After the window the count starts again: one failure is a first failure. */
	auth_throttle_failure(throttle, address, T0 + 600 + AUTH_THROTTLE_WINDOW);
	CHECK(!auth_throttle_locked(throttle, address, T0 + 600 + AUTH_THROTTLE_WINDOW));
	CHECK_INT(auth_throttle_delay_ms(throttle, address, T0 + 600 + AUTH_THROTTLE_WINDOW), 0);
	auth_throttle_free(throttle);
}

static void slow_failures_never_lock(void)
{
	struct auth_throttle *throttle = auth_throttle_create();
	unsigned char address[16];

	ipv4(address, 198, 51, 100, 7);
	for (int i = 0; i < 30; i++) {
		auth_throttle_failure(throttle, address, T0 + i * AUTH_THROTTLE_WINDOW);
		CHECK(!auth_throttle_locked(throttle, address, T0 + i * AUTH_THROTTLE_WINDOW));
	}
	auth_throttle_free(throttle);
}

static void success_forgets_failures(void)
{
	struct auth_throttle *throttle = auth_throttle_create();
	unsigned char address[16];

	ipv4(address, 192, 0, 2, 1);
	for (int i = 0; i < 5; i++)
		auth_throttle_failure(throttle, address, T0);
	CHECK_INT(auth_throttle_delay_ms(throttle, address, T0), 8000);
	auth_throttle_success(throttle, address);
	CHECK_INT(auth_throttle_delay_ms(throttle, address, T0), 0);
	auth_throttle_failure(throttle, address, T0);
	CHECK_INT(auth_throttle_delay_ms(throttle, address, T0), 0);
	auth_throttle_success(throttle, address);
	auth_throttle_success(throttle, address); /* nothing to forget: harmless */
	auth_throttle_free(throttle);
}

static void ipv6_counted_per_64(void)
{
	struct auth_throttle *throttle = auth_throttle_create();
	unsigned char address[16], same_64[16], other_64[16];

	ipv6(address, 1, 1);
	ipv6(other_64, 2, 1);
	for (unsigned i = 0; i < AUTH_THROTTLE_LOCK_FAILURES; i++) {
		ipv6(same_64, 1, 100 + i); /* a new address in the same /64 each time */
		auth_throttle_failure(throttle, same_64, T0);
	}
	CHECK(auth_throttle_locked(throttle, address, T0));
	CHECK(!auth_throttle_locked(throttle, other_64, T0));
	auth_throttle_free(throttle);
}

static void ipv4_counted_per_address(void)
{
	struct auth_throttle *throttle = auth_throttle_create();
	unsigned char address[16], neighbour[16];

	/* ::ffff:a.b.c.d share their first 64 bits: they must not be lumped together. */
	ipv4(address, 192, 0, 2, 1);
	ipv4(neighbour, 203, 0, 113, 9);
	for (int i = 0; i < AUTH_THROTTLE_LOCK_FAILURES; i++)
		auth_throttle_failure(throttle, address, T0);
	CHECK(auth_throttle_locked(throttle, address, T0));
	CHECK(!auth_throttle_locked(throttle, neighbour, T0));
	CHECK_INT(auth_throttle_delay_ms(throttle, neighbour, T0), 0);
	auth_throttle_free(throttle);
}

/* The table holds AUTH_THROTTLE_ENTRIES addresses; a new one pushes out the oldest last failure. */
static void full_table_evicts_the_stalest(void)
{
	struct auth_throttle *throttle = auth_throttle_create();
	unsigned char address[16], stale[16], attacker[16];

	ipv4(stale, 10, 0, 0, 1);
	ipv4(attacker, 10, 0, 0, 2);
	auth_throttle_failure(throttle, stale, T0);
	for (int i = 0; i < AUTH_THROTTLE_LOCK_FAILURES; i++)
		auth_throttle_failure(throttle, attacker, T0 + 10);
	for (unsigned i = 2; i < AUTH_THROTTLE_ENTRIES; i++) {
		ipv4(address, 10, 1, (i >> 8) & 0xff, i & 0xff);
		auth_throttle_failure(throttle, address, T0 + 20);
		auth_throttle_failure(throttle, address, T0 + 20);
	}
	CHECK_INT(auth_throttle_delay_ms(throttle, stale, T0 + 30), 0); /* one failure: delay 0 anyway */
	auth_throttle_failure(throttle, stale, T0 + 30);                /* still tracked: the second */
	CHECK_INT(auth_throttle_delay_ms(throttle, stale, T0 + 30), 1000);
	/* The table is full; a newcomer evicts the oldest last failure, now the attacker's (T0+10). */
	ipv4(address, 10, 2, 0, 1);
	auth_throttle_failure(throttle, address, T0 + 40);
	CHECK(!auth_throttle_locked(throttle, attacker, T0 + 40));
	CHECK_INT(auth_throttle_delay_ms(throttle, stale, T0 + 40), 1000);
	CHECK_INT(auth_throttle_delay_ms(throttle, address, T0 + 40), 0);
	ipv4(address, 10, 1, 0, 2); /* the first filler, last failure T0+20: evicted next */
	CHECK_INT(auth_throttle_delay_ms(throttle, address, T0 + 40), 1000);
	ipv4(address, 10, 2, 0, 2);
	auth_throttle_failure(throttle, address, T0 + 41);
	ipv4(address, 10, 1, 0, 2);
	CHECK_INT(auth_throttle_delay_ms(throttle, address, T0 + 41), 0);
	auth_throttle_free(throttle);
}

static void free_null_is_a_no_op(void) { auth_throttle_free(NULL); }

int main(void)
{
	RUN(delay_doubles_to_a_maximum);
	RUN(locked_after_ten_failures_until_the_window_passes);
	RUN(slow_failures_never_lock);
	RUN(success_forgets_failures);
	RUN(ipv6_counted_per_64);
	RUN(ipv4_counted_per_address);
	RUN(full_table_evicts_the_stalest);
	RUN(free_null_is_a_no_op);
	return check_summary("test_auth_throttle");
}
