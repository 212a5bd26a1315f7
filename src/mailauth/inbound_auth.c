/* inbound_auth: DKIM verification (dkim_verify) and DMARC policy discovery (dmarc_discover)
 * side by side, then the DMARC verdict on them and the session's SPF outcomes, then the
 * Authentication-Results field (RFC 8601 §2) under our Received field, and the
 * fields that claim our authserv-id removed (§5). A header section that does not parse keeps
 * its fields (nothing can be told apart in it), with ours above them, where readers look first;
 * its DKIM signatures are permerror and DMARC finds no usable From. */
#include "mailauth/inbound_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/authentication_results.h"
#include "mailauth/dkim_verify.h"
#include "mailauth/dmarc.h"
#include "mailauth/dmarc_from.h"
#include "mailauth/header_fields.h"
#include "util/xalloc.h"

#define INBOUND_AUTH_METHODS_MAX (2 + DKIM_VERIFY_SIGNATURES_MAX + 1) /* spf x2, dkim, dmarc */

struct inbound_auth_job {
	struct resolver *resolver;
	const struct org_domain *list;
	struct inbound_auth_request request; /* strings below are copies */
	char *authserv_id, *sender, *helo;
	size_t maximum;
	inbound_auth_callback done;
	void *context;
	struct dkim_check_result *dkim;
	size_t dkim_count;
	char from_domain[DMARC_FROM_DOMAIN_SIZE]; /* "" when the message has no usable one */
	unsigned pending;                         /* DKIM and DMARC discovery run side by side */
	struct dmarc_discovery discovery;         /* its strings copied below */
	char *discovery_record, *discovery_domain, *discovery_why;
};

void inbound_auth_keep_spf(struct inbound_auth_spf *spf, const struct spf_outcome *outcome)
{
	spf->checked = true;
	spf->result = outcome->result;
	snprintf(spf->domain, sizeof spf->domain, "%s", outcome->domain ? outcome->domain : "");
	snprintf(spf->reason, sizeof spf->reason, "%s", outcome->reason ? outcome->reason : "");
}

static void job_free(struct inbound_auth_job *job)
{
	free(job->authserv_id);
	free(job->sender);
	free(job->helo);
	free(job->dkim);
	free(job->discovery_record);
	free(job->discovery_domain);
	free(job->discovery_why);
	free(job);
}

/* The resinfos: spf for MAIL FROM and HELO, one dkim per signature (or dkim=none), dmarc. */
static size_t describe(const struct inbound_auth_job *job, const struct dmarc_outcome *dmarc,
                       struct authentication_results_method *methods,
                       char prefixes[][AUTHENTICATION_RESULTS_B_PREFIX + 1])
{
	const struct inbound_auth_request *request = &job->request;
	size_t count = 0;

	if (request->spf_mailfrom.checked)
		authentication_results_spf(&methods[count++], spf_result_name(request->spf_mailfrom.result),
		                           job->sender[0] ? job->sender : NULL, job->sender[0] ? NULL : job->helo,
		                           request->spf_mailfrom.reason);
	if (request->spf_helo.checked)
		authentication_results_spf(&methods[count++], spf_result_name(request->spf_helo.result), NULL, job->helo,
		                           request->spf_helo.reason);
	for (size_t i = 0; i < job->dkim_count; i++) {
		const struct dkim_check_result *result = &job->dkim[i];
		authentication_results_dkim(&methods[count++], dkim_check_status_name(result->status), result->domain,
		                            result->selector, result->header_b, result->algorithm, result->reason,
		                            prefixes[i]);
	}
	if (job->dkim_count == 0)
		methods[count++] = (struct authentication_results_method){.method = "dkim", .result = "none"};
	authentication_results_dmarc(&methods[count++], dmarc_policy_result_name(dmarc->result), dmarc->from_domain,
	                             dmarc->has_policy ? dmarc_record_policy_name(dmarc->policy) : NULL, dmarc->why);
	return count;
}

/* The trace (our Received), our field below it as Gmail and others place it, then the client's fields but the forged ones, then the body. */
static unsigned rewrite(const struct inbound_auth_job *job, const struct authentication_results_method *methods,
                        size_t count, struct buffer *out, size_t *field_end)
{
	struct header_fields *fields = xcalloc(1, sizeof *fields);
	struct slice message = job->request.message;
	size_t *drop = NULL, drops = 0, next = 0;

	buffer_append_slice(out, job->request.trace);
	authentication_results_format(job->authserv_id, methods, count, out);
	*field_end = out->length;
	if (header_fields_parse(message, fields) != HEADER_FIELDS_OK) {
		buffer_append_slice(out, message);
		free(fields);
		return 0;
	}
	drop = xcalloc(fields->count + 1, sizeof *drop);
	drops = authentication_results_to_remove(fields, job->authserv_id, drop);
	for (size_t i = 0; i < fields->count; i++) {
		if (next < drops && drop[next] == i) {
			next++;
			continue;
		}
		buffer_append_slice(out, fields->fields[i].whole);
	}
	buffer_append_slice(out, slice_skip(message, fields->header_length));
	free(drop);
	free(fields);
	return (unsigned)drops;
}

static void conclude(struct inbound_auth_job *job, const struct dmarc_outcome *outcome)
{
	struct authentication_results_method methods[INBOUND_AUTH_METHODS_MAX];
	char prefixes[DKIM_VERIFY_SIGNATURES_MAX][AUTHENTICATION_RESULTS_B_PREFIX + 1];
	struct buffer rewritten;
	struct inbound_auth_verdict verdict = {.dmarc = outcome, .rewritten = &rewritten, .dkim_count = job->dkim_count};
	size_t count = describe(job, outcome, methods, prefixes), field_end;

	for (size_t i = 0; i < job->dkim_count; i++)
		verdict.dkim_passed += job->dkim[i].status == DKIM_CHECK_PASS;
	buffer_init(&rewritten, job->maximum);
	verdict.removed = rewrite(job, methods, count, &rewritten, &field_end);
	verdict.field = slice_sub(buffer_slice(&rewritten), job->request.trace.length,
	                          field_end - job->request.trace.length);
	job->done(job->context, &verdict);
	buffer_free(&rewritten);
	job_free(job);
}

/* Both halves are in: the DMARC verdict (RFC 7489 §6.6.2) on SPF, DKIM and the discovered record. */
static void evaluate(struct inbound_auth_job *job)
{
	const char *domains[DKIM_VERIFY_SIGNATURES_MAX];
	struct dmarc_inputs inputs = {.from_domain = job->from_domain, .dkim_domains = domains};
	const struct inbound_auth_spf *spf = &job->request.spf_mailfrom;
	struct dmarc_outcome outcome;

	if (--job->pending > 0)
		return;
	for (size_t i = 0; i < job->dkim_count; i++)
		if (job->dkim[i].status == DKIM_CHECK_PASS)
			domains[inputs.dkim_count++] = job->dkim[i].domain;
	/* RFC 7489 §4.1: SPF's domain is MAIL FROM's, or HELO's for the null reverse-path. */
	inputs.spf_pass = spf->checked && spf->result == SPF_PASS;
	inputs.spf_domain = spf->domain;
	dmarc_policy_evaluate(job->list, &inputs, &job->discovery, NULL, &outcome);
	conclude(job, &outcome);
}

static void on_dkim(void *context, const struct dkim_check_result *results, size_t count)
{
	struct inbound_auth_job *job = context;

	if (count > DKIM_VERIFY_SIGNATURES_MAX)
		count = DKIM_VERIFY_SIGNATURES_MAX;
	job->dkim = xcalloc(count + 1, sizeof *job->dkim);
	memcpy(job->dkim, results, count * sizeof *results);
	job->dkim_count = count;
	evaluate(job);
}

static void on_discovery(void *context, const struct dmarc_discovery *discovery)
{
	struct inbound_auth_job *job = context;

	job->discovery = *discovery;
	job->discovery.record = job->discovery_record = discovery->record ? xstrdup(discovery->record) : NULL;
	job->discovery.domain = job->discovery_domain = xstrdup(discovery->domain ? discovery->domain : "");
	job->discovery.why = job->discovery_why = discovery->why ? xstrdup(discovery->why) : NULL;
	if (job->discovery.domain[0] == '\0')
		job->from_domain[0] = '\0'; /* no Organizational Domain: no usable Author Domain */
	evaluate(job);
}

void inbound_auth_check(struct resolver *resolver, const struct org_domain *list,
                        const struct inbound_auth_request *request, size_t maximum, inbound_auth_callback done,
                        void *context)
{
	struct inbound_auth_job *job = xcalloc(1, sizeof *job);

	job->resolver = resolver;
	job->list = list;
	job->request = *request;
	job->authserv_id = xstrdup(request->authserv_id);
	job->sender = xstrdup(request->sender ? request->sender : "");
	job->helo = xstrdup(request->helo ? request->helo : "");
	job->maximum = maximum;
	job->done = done;
	job->context = context;
	job->request.dkim = NULL; /* taken */
	job->pending = 2;
	if (dmarc_from_domain(request->message, job->from_domain) != DMARC_FROM_OK)
		job->from_domain[0] = '\0';
	dmarc_discover(resolver, list, job->from_domain, on_discovery, job);
	if (request->dkim != NULL)
		dkim_verify_finish(resolver, request->dkim, on_dkim, job);
	else
		dkim_verify_message(resolver, request->message, on_dkim, job);
}
