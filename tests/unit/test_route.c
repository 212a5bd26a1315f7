/* test_route: the pure half of routing (route_order.c): MX order by preference with equal
 * preferences shuffled (RFC 5321 §5.1), the null MX alone and mixed (RFC 7505 §3), address
 * exchanges skipped (RFC 5321 §5.1), addresses AAAA before A within the per-host cap, address
 * literals (RFC 5321 §4.1.3) and domain syntax (RFC 1035 §2.3). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "deliver/route_order.h"

static struct dns_record mx(unsigned preference, const char *name)
{
	struct dns_record record = {.type = DNS_MX, .preference = (uint16_t)preference};
	snprintf(record.name, sizeof record.name, "%s", name);
	return record;
}

/* A "random" source that always picks the last candidate: Fisher-Yates leaves order as is. */
static uint32_t keep_order(uint32_t bound) { return bound - 1; }

/* One that always picks the first: two candidates swap. */
static uint32_t always_first(uint32_t bound) { return 0; }

static uint32_t real_random(uint32_t bound) { return arc4random_uniform(bound); }

static size_t order(const struct dns_record *records, size_t count, route_random random, struct route_exchange *out,
                    enum route_order_result *result, char *why)
{
	size_t out_count = 99;
	why[0] = '\0';
	*result = route_order_mx(records, count, random, out, ROUTE_HOSTS_MAX, &out_count, why, 256);
	return out_count;
}

static void rfc5321_5_1_sorted_by_preference(void)
{
	struct dns_record records[] = {mx(30, "c.test"), mx(10, "a.test"), mx(20, "b.test")};
	struct route_exchange out[ROUTE_HOSTS_MAX];
	enum route_order_result result;
	char why[256];

	CHECK_INT(order(records, 3, real_random, out, &result, why), 3);
	CHECK_INT(result, ROUTE_ORDER_HOSTS);
	CHECK_STR(out[0].name, "a.test");
	CHECK_INT(out[0].preference, 10);
	CHECK_STR(out[1].name, "b.test");
	CHECK_STR(out[2].name, "c.test");
	CHECK_STR(why, "");
}

static void rfc5321_5_1_equal_preferences_shuffled(void)
{
	struct dns_record records[] = {mx(20, "z.test"), mx(10, "a.test"), mx(10, "b.test")};
	struct route_exchange out[ROUTE_HOSTS_MAX];
	enum route_order_result result;
	char why[256];
	int a_first = 0, b_first = 0;

	order(records + 1, 2, keep_order, out, &result, why);
	CHECK_STR(out[0].name, "a.test");
	CHECK_STR(out[1].name, "b.test");
	order(records + 1, 2, always_first, out, &result, why);
	CHECK_STR(out[0].name, "b.test");
	CHECK_STR(out[1].name, "a.test");
	for (int i = 0; i < 200; i++) {
		order(records, 3, real_random, out, &result, why);
		a_first += strcmp(out[0].name, "a.test") == 0;
		b_first += strcmp(out[0].name, "b.test") == 0;
		CHECK_STR(out[2].name, "z.test");
	}
	CHECK_INT(a_first + b_first, 200);
	CHECK(a_first > 40 && b_first > 40); /* 2^-200-ish odds of a false alarm */
}

static void rfc7505_3_null_mx_alone(void)
{
	struct dns_record records[] = {mx(0, "")};
	struct route_exchange out[ROUTE_HOSTS_MAX];
	enum route_order_result result;
	char why[256];

	CHECK_INT(order(records, 1, real_random, out, &result, why), 0);
	CHECK_INT(result, ROUTE_ORDER_NULL_MX);
}

static void rfc7505_3_null_mx_mixed_is_ignored(void)
{
	struct dns_record records[] = {mx(0, ""), mx(10, "mx.test")};
	struct route_exchange out[ROUTE_HOSTS_MAX];
	enum route_order_result result;
	char why[256];

	CHECK_INT(order(records, 2, real_random, out, &result, why), 1);
	CHECK_INT(result, ROUTE_ORDER_HOSTS);
	CHECK_STR(out[0].name, "mx.test");
	CHECK(strstr(why, "RFC 7505 section 3") != NULL);
}

static void rfc5321_5_1_address_exchange_skipped(void)
{
	struct dns_record records[] = {mx(5, "192.0.2.1"), mx(10, "mx.test"), mx(7, "2001:db8::1")};
	struct route_exchange out[ROUTE_HOSTS_MAX];
	enum route_order_result result;
	char why[256];

	CHECK_INT(order(records, 3, real_random, out, &result, why), 1);
	CHECK_INT(result, ROUTE_ORDER_HOSTS);
	CHECK_STR(out[0].name, "mx.test");
	CHECK(strstr(why, "192.0.2.1 is an address") != NULL);
	CHECK(strstr(why, "2001:db8::1 is an address") != NULL);
}

static void rfc5321_5_1_only_address_exchange_is_no_host(void)
{
	struct dns_record records[] = {mx(10, "192.0.2.1")};
	struct route_exchange out[ROUTE_HOSTS_MAX];
	enum route_order_result result;
	char why[256];

	CHECK_INT(order(records, 1, real_random, out, &result, why), 0);
	CHECK_INT(result, ROUTE_ORDER_NO_HOST);
	CHECK(strstr(why, "RFC 5321 section 5.1") != NULL);
}

static void repeated_exchange_kept_once_at_best_preference(void)
{
	struct dns_record records[] = {mx(20, "mx.test"), mx(10, "mx.test"), mx(15, "other.test")};
	struct route_exchange out[ROUTE_HOSTS_MAX];
	enum route_order_result result;
	char why[256];

	CHECK_INT(order(records, 3, real_random, out, &result, why), 2);
	CHECK_STR(out[0].name, "mx.test");
	CHECK_INT(out[0].preference, 10);
	CHECK_STR(out[1].name, "other.test");
}

static void more_hosts_than_the_maximum_are_dropped(void)
{
	struct dns_record records[ROUTE_HOSTS_MAX + 3];
	struct route_exchange out[ROUTE_HOSTS_MAX];
	enum route_order_result result;
	char why[256], name[32];

	for (size_t i = 0; i < ROUTE_HOSTS_MAX + 3; i++) {
		snprintf(name, sizeof name, "mx%zu.test", i);
		records[i] = mx((unsigned)(ROUTE_HOSTS_MAX + 3 - i), name);
	}
	CHECK_INT(order(records, ROUTE_HOSTS_MAX + 3, real_random, out, &result, why), ROUTE_HOSTS_MAX);
	CHECK_STR(out[0].name, "mx34.test"); /* the lowest preference */
	CHECK(strstr(why, "the rest ignored") != NULL);
}

static void rfc3596_aaaa_then_a_within_the_cap(void)
{
	unsigned char aaaa[ROUTE_ADDRESSES_MAX][16] = {{0}},
	              a[ROUTE_ADDRESSES_MAX][4] = {{192, 0, 2, 1}, {192, 0, 2, 2}};
	struct route_host host;

	aaaa[0][0] = 0x20, aaaa[0][15] = 1;
	route_order_addresses(&host, (const unsigned char(*)[16])aaaa, 1, (const unsigned char(*)[4])a, 2, 2525);
	CHECK_INT(host.address_count, 3);
	CHECK_INT(host.addresses[0].ss_family, AF_INET6);
	CHECK_INT(host.lengths[0], sizeof(struct sockaddr_in6));
	CHECK_INT(ntohs(((struct sockaddr_in6 *)&host.addresses[0])->sin6_port), 2525);
	CHECK_INT(host.addresses[1].ss_family, AF_INET);
	CHECK_INT(((struct sockaddr_in *)&host.addresses[2])->sin_addr.s_addr, htonl(0xc0000202));
	CHECK_INT(ntohs(((struct sockaddr_in *)&host.addresses[2])->sin_port), 2525);

	/* eight of each: half and half, so a broken IPv6 path still leaves IPv4 to try */
	route_order_addresses(&host, (const unsigned char(*)[16])aaaa, ROUTE_ADDRESSES_MAX,
	                      (const unsigned char(*)[4])a, ROUTE_ADDRESSES_MAX, 25);
	CHECK_INT(host.address_count, ROUTE_ADDRESSES_MAX);
	CHECK_INT(host.addresses[ROUTE_ADDRESSES_MAX / 2 - 1].ss_family, AF_INET6);
	CHECK_INT(host.addresses[ROUTE_ADDRESSES_MAX / 2].ss_family, AF_INET);
	/* only AAAA: all of them */
	route_order_addresses(&host, (const unsigned char(*)[16])aaaa, ROUTE_ADDRESSES_MAX, NULL, 0, 25);
	CHECK_INT(host.address_count, ROUTE_ADDRESSES_MAX);
	CHECK_INT(host.addresses[ROUTE_ADDRESSES_MAX - 1].ss_family, AF_INET6);
}

static void rfc5321_4_1_3_address_literals(void)
{
	struct sockaddr_storage address;
	socklen_t length;
	char text[INET6_ADDRSTRLEN];

	CHECK_INT(route_order_literal("example.test", 25, &address, &length), ROUTE_LITERAL_NONE);
	CHECK_INT(route_order_literal("[192.0.2.1]", 25, &address, &length), ROUTE_LITERAL_ADDRESS);
	CHECK_INT(address.ss_family, AF_INET);
	CHECK_INT(length, sizeof(struct sockaddr_in));
	CHECK_INT(ntohs(((struct sockaddr_in *)&address)->sin_port), 25);
	CHECK_INT(route_order_literal("[IPv6:2001:db8::1]", 2525, &address, &length), ROUTE_LITERAL_ADDRESS);
	CHECK_INT(address.ss_family, AF_INET6);
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&address)->sin6_addr, text, sizeof text);
	CHECK_STR(text, "2001:db8::1");
	CHECK_INT(route_order_literal("[ipv6:::1]", 25, &address, &length), ROUTE_LITERAL_ADDRESS);
	static const char *const invalid[] = {"[]",
	                                      "[192.0.2.1",
	                                      "[192.0.2]",
	                                      "[192.0.2.256]",
	                                      "[2001:db8::1]",
	                                      "[IPv6:192.0.2.1]",
	                                      "[x-tag:stuff]",
	                                      "[192.0.2.1]x",
	                                      "[ 192.0.2.1]"};
	for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
		if (route_order_literal(invalid[i], 25, &address, &length) != ROUTE_LITERAL_INVALID) {
			fprintf(stderr, "accepted %s\n", invalid[i]);
			CHECK(0);
		}
	}
}

static void rfc1035_2_3_domain_syntax(void)
{
	char long_label[80], long_name[300];

	CHECK(route_order_valid_domain("example.test"));
	CHECK(route_order_valid_domain("Example.TEST."));
	CHECK(route_order_valid_domain("_dmarc.a-b.test"));
	CHECK(route_order_valid_domain("test"));
	CHECK(!route_order_valid_domain(""));
	CHECK(!route_order_valid_domain("."));
	CHECK(!route_order_valid_domain("a..test"));
	CHECK(!route_order_valid_domain(".test"));
	CHECK(!route_order_valid_domain("a b.test"));
	CHECK(!route_order_valid_domain("bücher.test")); /* U-labels: the caller converts (IDNA) */
	memset(long_label, 'a', 64);
	snprintf(long_label + 64, sizeof long_label - 64, ".test");
	CHECK(!route_order_valid_domain(long_label));
	memset(long_label, 'a', 63);
	snprintf(long_label + 63, sizeof long_label - 63, ".test");
	CHECK(route_order_valid_domain(long_label));
	memset(long_name, 'a', sizeof long_name);
	for (size_t i = 50; i < 254; i += 51)
		long_name[i] = '.';
	long_name[253] = '\0';
	CHECK(route_order_valid_domain(long_name));
	long_name[253] = 'a';
	long_name[254] = '\0';
	CHECK(!route_order_valid_domain(long_name));
}

static void notes_are_joined_and_truncated(void)
{
	char why[16] = "";

	route_order_note(why, sizeof why, "one");
	route_order_note(why, sizeof why, "two");
	CHECK_STR(why, "one; two");
	route_order_note(why, sizeof why, "three and more");
	CHECK_INT(strlen(why), sizeof why - 1);
}

int main(void)
{
	RUN(rfc5321_5_1_sorted_by_preference);
	RUN(rfc5321_5_1_equal_preferences_shuffled);
	RUN(rfc7505_3_null_mx_alone);
	RUN(rfc7505_3_null_mx_mixed_is_ignored);
	RUN(rfc5321_5_1_address_exchange_skipped);
	RUN(rfc5321_5_1_only_address_exchange_is_no_host);
	RUN(repeated_exchange_kept_once_at_best_preference);
	RUN(more_hosts_than_the_maximum_are_dropped);
	RUN(rfc3596_aaaa_then_a_within_the_cap);
	RUN(rfc5321_4_1_3_address_literals);
	RUN(rfc1035_2_3_domain_syntax);
	RUN(notes_are_joined_and_truncated);
	return check_summary("test_route");
}
