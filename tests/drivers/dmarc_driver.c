/* dmarc_driver: one DMARC check of the message on standard input, as inbound_auth makes it
 * (dmarc_discover, then dmarc_policy_evaluate on the given SPF and DKIM outcomes),
 * against the DNS server named on the command line, for the integration tests:
 *   dmarc_driver SERVER [--sample N] [--spf-pass DOMAIN] [--dkim-pass DOMAIN]... < message
 * prints one line:
 *   dmarc=fail from=example.test record=example.test policy=reject disposition=quarantine
 *   sampled_out=1 spf_aligned=0 dkim_aligned=0 why="..."
 * The From domain comes from the message (dmarc_from.h; when unusable, from_error= says why).
 * --sample N makes every pct= draw N (0..99). Exit 0, or 2 on usage. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/dmarc.h"
#include "mailauth/dmarc_from.h"

#define MESSAGE_MAX (1 << 20)
#define DKIM_PASSES_MAX 32 /* --dkim-pass options taken */

static unsigned fixed_sample(void *context) { return *(unsigned *)context; }

struct check {
	const struct org_domain *list;
	struct dmarc_inputs *inputs;
	const struct dmarc_sampler *sampler;
	bool done;
};

static void print(const struct dmarc_outcome *outcome)
{
	printf("dmarc=%s from=%s record=%s policy=%s disposition=%s sampled_out=%d spf_aligned=%d dkim_aligned=%d "
	       "dkim_domain=%s why=\"%s\"\n",
	       dmarc_policy_result_name(outcome->result), outcome->from_domain, outcome->record_domain,
	       outcome->has_policy ? dmarc_record_policy_name(outcome->policy) : "-",
	       outcome->has_policy ? dmarc_record_policy_name(outcome->disposition) : "-", outcome->sampled_out,
	       outcome->spf_aligned, outcome->dkim_aligned, outcome->dkim_domain, outcome->why);
}

static void on_found(void *context, const struct dmarc_discovery *discovery)
{
	struct check *check = context;
	struct dmarc_outcome outcome;

	if (discovery->domain[0] == '\0')
		check->inputs->from_domain = ""; /* no Organizational Domain: no usable Author Domain */
	dmarc_policy_evaluate(check->list, check->inputs, discovery, check->sampler, &outcome);
	print(&outcome);
	check->done = true;
}

int main(int argc, char **argv)
{
	static char message[MESSAGE_MAX];
	const char *dkim[DKIM_PASSES_MAX];
	char from[DMARC_FROM_DOMAIN_SIZE], error[256];
	struct dmarc_inputs inputs = {.from_domain = from, .dkim_domains = dkim};
	unsigned sample_value = 0;
	struct dmarc_sampler sampler = {fixed_sample, &sample_value};
	bool use_sampler = false;
	struct check check = {.inputs = &inputs};
	struct event_base *base;
	struct resolver *resolver;
	struct org_domain *list;
	enum dmarc_from_result from_result;
	size_t length;

	if (argc < 2)
		goto usage;
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "--sample") == 0) {
			sample_value = (unsigned)atoi(argv[i + 1]);
			use_sampler = true;
		} else if (strcmp(argv[i], "--spf-pass") == 0) {
			inputs.spf_pass = true;
			inputs.spf_domain = argv[i + 1];
		} else if (strcmp(argv[i], "--dkim-pass") == 0 && inputs.dkim_count < DKIM_PASSES_MAX) {
			dkim[inputs.dkim_count++] = argv[i + 1];
		} else {
			goto usage;
		}
	}
	length = fread(message, 1, sizeof message, stdin);
	from_result = dmarc_from_domain(slice_make(message, length), from);
	if (from_result != DMARC_FROM_OK)
		printf("from_error=\"%s\"\n", dmarc_from_result_name(from_result));
	base = event_base_new();
	if ((list = org_domain_load(NULL, error, sizeof error)) == NULL ||
	    (resolver = resolver_create(base, argv[1], NULL, error, sizeof error)) == NULL) {
		fprintf(stderr, "dmarc_driver: %s\n", error);
		return 2;
	}
	check.list = list;
	check.sampler = use_sampler ? &sampler : NULL;
	dmarc_discover(resolver, list, from, on_found, &check);
	while (!check.done)
		event_base_loop(base, EVLOOP_ONCE);
	resolver_free(resolver);
	org_domain_free(list);
	event_base_free(base);
	return 0;
usage:
	fprintf(stderr,
	        "usage: dmarc_driver SERVER [--sample N] [--spf-pass DOMAIN] [--dkim-pass DOMAIN]... < message\n");
	return 2;
}
