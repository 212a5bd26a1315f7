/* test_dmarc_policy: the DMARC verdict from plain inputs and a discovered record (RFC 7489
 * §6.6.2-§6.6.4), without DNS: one row per rule (the DNS-served table is
 * tests/integration/test_dmarc.py). The pct= sampler is fixed by each row. */
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "mailauth/dmarc_policy.h"

static struct org_domain *list;

struct policy_case {
	const char *name;
	const char *from;
	const char *record; /* NULL: discovery status below */
	bool at_org_domain;
	enum dmarc_discovery_status status;
	const char *spf_domain;  /* NULL: SPF did not pass */
	const char *dkim_domain; /* NULL: no DKIM pass */
	unsigned sample;
	enum dmarc_result result;
	enum dmarc_policy policy, disposition;
	bool spf_aligned, dkim_aligned;
};

#define F DMARC_DISCOVERY_FOUND
#define N DMARC_POLICY_NONE
#define Q DMARC_POLICY_QUARANTINE
#define R DMARC_POLICY_REJECT

/* clang-format off */
static const struct policy_case cases[] = {
	{"rfc7489_3_1_2_spf_relaxed", "example.com", "v=DMARC1; p=reject", false, F, "mail.example.com", NULL, 0,
	 DMARC_RESULT_PASS, R, N, true, false},
	{"rfc7489_3_1_2_spf_strict", "example.com", "v=DMARC1; p=reject; aspf=s", false, F, "mail.example.com", NULL, 0,
	 DMARC_RESULT_FAIL, R, R, false, false},
	{"rfc7489_3_1_1_dkim_relaxed", "news.example.com", "v=DMARC1; p=reject", false, F, NULL, "example.com", 0,
	 DMARC_RESULT_PASS, R, N, false, true},
	{"rfc7489_3_1_1_dkim_strict", "news.example.com", "v=DMARC1; p=reject; adkim=s", false, F, NULL, "example.com", 0,
	 DMARC_RESULT_FAIL, R, R, false, false},
	{"rfc7489_3_2_psl_boundary", "a.example.co.uk", "v=DMARC1; p=reject", false, F, "b.other.co.uk", NULL, 0,
	 DMARC_RESULT_FAIL, R, R, false, false},
	{"rfc7489_6_3_sp_for_subdomain", "news.example.com", "v=DMARC1; p=reject; sp=none", true, F, NULL, NULL, 0,
	 DMARC_RESULT_FAIL, N, N, false, false},
	{"rfc7489_6_3_p_without_sp", "news.example.com", "v=DMARC1; p=quarantine", true, F, NULL, NULL, 0,
	 DMARC_RESULT_FAIL, Q, Q, false, false},
	{"rfc7489_6_6_4_pct_in", "example.com", "v=DMARC1; p=reject; pct=30", false, F, NULL, NULL, 29,
	 DMARC_RESULT_FAIL, R, R, false, false},
	{"rfc7489_6_6_4_pct_out", "example.com", "v=DMARC1; p=reject; pct=30", false, F, NULL, NULL, 30,
	 DMARC_RESULT_FAIL, R, Q, false, false},
	{"rfc7489_6_6_4_pct_out_quarantine", "example.com", "v=DMARC1; p=quarantine; pct=0", false, F, NULL, NULL, 0,
	 DMARC_RESULT_FAIL, Q, N, false, false},
	{"rfc7489_6_6_3_step6_rua_means_none", "example.com", "v=DMARC1; p=bad; rua=mailto:r@example.com", false, F,
	 NULL, NULL, 0, DMARC_RESULT_FAIL, N, N, false, false},
	{"rfc7489_6_6_3_step6_no_rua", "example.com", "v=DMARC1; p=bad", false, F, NULL, NULL, 0,
	 DMARC_RESULT_NONE, N, N, false, false},
	{"rfc7489_11_2_bad_record_permerror", "example.com", "v=DMARC1; p=reject; adkim=x", false, F, NULL, NULL, 0,
	 DMARC_RESULT_PERMERROR, N, N, false, false},
	{"rfc7489_6_6_3_step5_none", "example.com", NULL, false, DMARC_DISCOVERY_NONE, "example.com", NULL, 0,
	 DMARC_RESULT_NONE, N, N, false, false},
	{"rfc7489_6_6_3_step5_several", "example.com", NULL, false, DMARC_DISCOVERY_SEVERAL, NULL, NULL, 0,
	 DMARC_RESULT_NONE, N, N, false, false},
	{"temperror", "example.com", NULL, false, DMARC_DISCOVERY_TEMPERROR, NULL, NULL, 0,
	 DMARC_RESULT_TEMPERROR, N, N, false, false},
	{"rfc7489_6_6_1_no_author_domain", "", "v=DMARC1; p=reject", false, F, NULL, NULL, 0,
	 DMARC_RESULT_PERMERROR, N, N, false, false},
};
/* clang-format on */

static unsigned fixed(void *context) { return *(const unsigned *)context; }

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct policy_case *c = &cases[i];
		const char *dkim[1] = {c->dkim_domain};
		struct dmarc_inputs inputs = {c->from, c->spf_domain != NULL, c->spf_domain, c->dkim_domain ? 1 : 0,
		                              dkim};
		const char *domain = c->at_org_domain ? strchr(c->from, '.') + 1 : c->from;
		struct dmarc_discovery discovery = {c->status, c->record, domain, c->at_org_domain, "SERVFAIL"};
		unsigned sample = c->sample;
		struct dmarc_sampler sampler = {fixed, &sample};
		struct dmarc_outcome outcome;

		dmarc_policy_evaluate(list, &inputs, &discovery, &sampler, &outcome);
		CHECK_INT(outcome.result, c->result);
		if (outcome.has_policy) {
			CHECK_INT(outcome.policy, c->policy);
			CHECK_INT(outcome.disposition, c->disposition);
		}
		CHECK_INT(outcome.spf_aligned, c->spf_aligned);
		CHECK_INT(outcome.dkim_aligned, c->dkim_aligned);
		CHECK(outcome.why[0] != '\0');
		if (check_failures_in_test) {
			fprintf(stderr, "  in case %s: why=\"%s\"\n", c->name, outcome.why);
			return;
		}
	}
}

static void test_why(void)
{
	const char *dkim[] = {"other.example", "mail.example.com"};
	struct dmarc_inputs inputs = {"example.com", false, NULL, 2, dkim};
	struct dmarc_discovery discovery = {F, "v=DMARC1; p=reject", "example.com", false, NULL};
	struct dmarc_outcome outcome;

	dmarc_policy_evaluate(list, &inputs, &discovery, NULL, &outcome);
	CHECK_STR(outcome.why, "DKIM aligned with example.com (adkim=r)");
	CHECK_STR(outcome.dkim_domain, "mail.example.com");
	discovery.status = DMARC_DISCOVERY_TEMPERROR;
	discovery.why = "SERVFAIL";
	dmarc_policy_evaluate(list, &inputs, &discovery, NULL, &outcome);
	CHECK_STR(outcome.why, "DMARC lookup for _dmarc.example.com failed: SERVFAIL");
	CHECK_STR(dmarc_policy_result_name(outcome.result), "temperror");
}

int main(void)
{
	char error[128];

	if ((list = org_domain_load(NULL, error, sizeof error)) == NULL) {
		fprintf(stderr, "test_dmarc_policy: %s\n", error);
		return 1;
	}
	RUN(test_cases);
	RUN(test_why);
	org_domain_free(list);
	return check_summary("test_dmarc_policy");
}
