/* test_dynamic_name: the generic-rDNS heuristic and the DNSBL return codes (RFC 5782 §2.1,
 * Spamhaus's table): names of mail servers pass, ISPs' names of dynamic pools do not. */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "check/dnsbl_codes.h"
#include "check/dynamic_name.h"

static const unsigned char address[4] = {192, 0, 2, 45};

static void test_dynamic_names(void)
{
	static const struct {
		const char *name;
		bool dynamic;
		const char *sign;
	} cases[] = {
	    {"mail.example.org", false, NULL},
	    {"mx1.mail.example.org", false, NULL},
	    {"smtp-out-3.example.net", false, NULL},
	    {"cable.example", false, NULL},             /* the provider's own name is not suspect */
	    {"mail.dsl-provider.example", false, NULL}, /* nor are words in the registered domain */
	    {"192-0-2-45.pool.example.net", true, "the address 192.0.2.45"},
	    {"45.2.0.192.in-addr.example.net", true, "the address 192.0.2.45"},
	    {"host192-000-002-045.example.net", true, "the address 192.0.2.45"},
	    {"c000022d.static.example.net", true, "hexadecimal"},
	    {"ppp-91.dialup.example.net", true, "\"ppp\""},
	    {"dhcp-7.campus.example.edu", true, "\"dhcp\""},
	    {"a.b.DSL.example.net", true, "\"DSL\""},
	    {"cpe-12-34.cable.example.com", true, "\"cpe\""},
	    {"mail.dyn.com", false, NULL},                /* "dyn" as the registered domain's label */
	    {"mail.192-0-2-99.example.net", false, NULL}, /* someone else's numbers */
	};
	char why[160];

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		bool dynamic = dynamic_name_check(cases[i].name, address, 4, why, sizeof why);
		if (dynamic != cases[i].dynamic)
			fprintf(stderr, "case %s: %d\n", cases[i].name, dynamic);
		CHECK(dynamic == cases[i].dynamic);
		if (dynamic && cases[i].sign && strstr(why, cases[i].sign) == NULL)
			fprintf(stderr, "case %s: why \"%s\"\n", cases[i].name, why);
		CHECK(!dynamic || !cases[i].sign || strstr(why, cases[i].sign) != NULL);
	}
}

static void test_ipv6_words_only(void)
{
	unsigned char v6[16] = {0x20, 0x01, 0x0d, 0xb8};
	char why[160];

	CHECK(dynamic_name_check("pool-1.dynamic.example.net", v6, 16, why, sizeof why));
	CHECK(!dynamic_name_check("mail.example.net", v6, 16, why, sizeof why));
}

static void test_rfc5782_dnsbl_codes(void)
{
	static const unsigned char sbl[4] = {127, 0, 0, 2}, xbl[4] = {127, 0, 0, 4}, pbl[4] = {127, 0, 0, 11},
	                           public_resolver[4] = {127, 255, 255, 254}, outside[4] = {192, 0, 2, 1},
	                           test_entry[4] = {127, 0, 0, 1};
	bool error;

	CHECK(strstr(dnsbl_codes_meaning("zen.spamhaus.org", sbl, &error), "SBL") != NULL && !error);
	CHECK(strstr(dnsbl_codes_meaning("zen.spamhaus.org.", xbl, &error), "XBL") != NULL && !error);
	CHECK(strstr(dnsbl_codes_meaning("KEY.zen.dq.spamhaus.net", pbl, &error), "PBL") != NULL && !error);
	CHECK_STR(dnsbl_codes_meaning("bl.spamcop.net", sbl, &error), "listed");
	CHECK(!error);
	CHECK_STR(dnsbl_codes_meaning("notspamhaus.org", xbl, &error), "listed"); /* a suffix on a label boundary */
	CHECK(strstr(dnsbl_codes_meaning("zen.spamhaus.org", public_resolver, &error), "public") != NULL && error);
	CHECK(strstr(dnsbl_codes_meaning("b.barracudacentral.org", outside, &error), "outside") != NULL && error);
	dnsbl_codes_meaning("psbl.surriel.com", test_entry, &error);
	CHECK(error);
}

int main(void)
{
	RUN(test_dynamic_names);
	RUN(test_ipv6_words_only);
	RUN(test_rfc5782_dnsbl_codes);
	return check_summary("test_dynamic_name");
}
