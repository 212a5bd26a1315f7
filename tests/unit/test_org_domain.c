/* test_org_domain: RFC 7489 §3.2's Organizational Domain over Debian's Public Suffix List
 * (publicsuffix), and §3.1's strict and relaxed alignment, one row per rule. */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "check.h"
#include "mailauth/org_domain.h"

static struct org_domain *list;

struct find_case {
	const char *domain;
	const char *expected; /* NULL: refused */
};

static const struct find_case find_cases[] = {
    {"example.com", "example.com"},
    {"mail.example.com", "example.com"},
    {"a.b.c.Example.COM.", "example.com"}, /* case and the trailing dot do not matter */
    {"example.co.uk", "example.co.uk"},    /* a two-label public suffix */
    {"mail.example.co.uk", "example.co.uk"},
    {"co.uk", "co.uk"}, /* a public suffix is its own */
    {"com", "com"},
    {"a.b.example.test", "example.test"},         /* an unlisted TLD is a suffix (the PSL's "*" rule) */
    {"sub.foo.blogspot.com", "foo.blogspot.com"}, /* the private section counts too (§3.2) */
    {"", NULL},
    {".", NULL},
};

struct aligned_case {
	const char *name;
	const char *a, *b;
	bool strict, expected;
};

static const struct aligned_case aligned_cases[] = {
    {"rfc7489_3_1_1_strict_equal", "example.com", "EXAMPLE.com", true, true},
    {"rfc7489_3_1_1_strict_subdomain", "mail.example.com", "example.com", true, false},
    {"rfc7489_3_1_1_relaxed_subdomain", "mail.example.com", "example.com", false, true},
    {"rfc7489_3_1_1_relaxed_siblings", "a.example.com", "b.example.com", false, true},
    {"rfc7489_3_1_1_relaxed_other_org", "example.com", "example.net", false, false},
    {"rfc7489_3_2_relaxed_suffix_boundary", "a.example.co.uk", "b.other.co.uk", false, false},
    {"rfc7489_3_2_relaxed_private_suffix", "a.blogspot.com", "b.blogspot.com", false, false},
    {"rfc7489_3_1_empty_never_aligns", "", "", false, false},
};

static void test_find(void)
{
	for (size_t i = 0; i < sizeof find_cases / sizeof *find_cases; i++) {
		char out[ORG_DOMAIN_NAME_MAX + 1];
		bool found = org_domain_find(list, find_cases[i].domain, out, sizeof out);
		CHECK(found == (find_cases[i].expected != NULL));
		if (found)
			CHECK_STR(out, find_cases[i].expected);
		if (check_failures_in_test) {
			fprintf(stderr, "  for \"%s\"\n", find_cases[i].domain);
			return;
		}
	}
}

static void test_too_small(void)
{
	char out[5];
	CHECK(!org_domain_find(list, "mail.example.com", out, sizeof out));
	CHECK_STR(out, "");
}

static void test_aligned(void)
{
	for (size_t i = 0; i < sizeof aligned_cases / sizeof *aligned_cases; i++) {
		const struct aligned_case *c = &aligned_cases[i];
		CHECK(org_domain_aligned(list, c->a, c->b, c->strict) == c->expected);
		if (check_failures_in_test) {
			fprintf(stderr, "  in case %s\n", c->name);
			return;
		}
	}
}

static void test_load_failure(void)
{
	char error[128];
	CHECK(org_domain_load("/nonexistent/psl.dat", error, sizeof error) == NULL);
	CHECK_STR(error, "cannot load the Public Suffix List from /nonexistent/psl.dat");
	org_domain_free(NULL);
}

int main(void)
{
	char error[128];

	if ((list = org_domain_load(NULL, error, sizeof error)) == NULL) {
		fprintf(stderr, "test_org_domain: %s\n", error);
		return 1;
	}
	RUN(test_find);
	RUN(test_too_small);
	RUN(test_aligned);
	RUN(test_load_failure);
	org_domain_free(list);
	return check_summary("test_org_domain");
}
