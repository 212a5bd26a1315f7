/* check_spf: one walk per domain: every record of the include/redirect tree is a node whose
 * TXT lookup runs at once; a: and mx: targets are looked up too, only to count void lookups.
 * The walk reports its totals when the last answer is in. */
#include "check/check_spf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/rdata.h"
#include "mailauth/spf.h"
#include "mailauth/spf_record.h"
#include "util/xalloc.h"

#define SECTION "SPF"

struct spf_walk {
	struct check_state *check;
	char domain[DNS_NAME_MAX + 1];
	unsigned pending; /* lookups in flight */
	unsigned lookups; /* §4.6.4 DNS-querying terms, over the whole tree */
	unsigned voids;   /* lookups that found nothing */
	unsigned records; /* TXT lookups started */
	bool truncated;   /* a depth or record cap stopped the walk */
	bool dynamic;     /* a macro domain-spec: the totals are a lower bound */
	bool parsed;      /* the domain's own record parsed: the totals mean something */
};

enum node_kind { NODE_RECORD, NODE_A, NODE_MX };

struct spf_node {
	struct spf_walk *walk;
	enum node_kind kind;
	char domain[DNS_NAME_MAX + 1];
	char via[DNS_NAME_MAX + 32]; /* how it was reached, for messages: "include:x in y" */
	unsigned depth;
	bool main_chain; /* the domain's own record, or one it redirects to: its all decides */
};

static void walk_done(struct spf_walk *walk)
{
	struct findings *findings = &walk->check->findings;
	const char *bound = walk->dynamic ? "at least " : "";

	if (!walk->parsed)
		goto done;
	if (walk->truncated)
		findings_add(findings, SECTION, "", FINDING_WARN, "flatten the chain of include: and redirect=",
		             "includes nest deeper than %d or reach over %d records: not all were followed",
		             CHECK_SPF_DEPTH_MAX, CHECK_SPF_RECORDS_MAX);
	if (walk->lookups > SPF_LOOKUPS_MAX)
		findings_add(findings, SECTION, "", FINDING_FAIL,
		             "replace include:/a/mx with ip4:/ip6: ranges, or drop services that no longer send",
		             "%s%u DNS-querying terms (include, a, mx, ptr, exists, redirect): over RFC 7208 §4.6.4's "
		             "%d, receivers return permerror",
		             bound, walk->lookups, SPF_LOOKUPS_MAX);
	else if (walk->lookups >= CHECK_SPF_LOOKUPS_WARN)
		findings_add(findings, SECTION, "", FINDING_WARN,
		             "replace some include:/a/mx with ip4:/ip6: before a provider adds one more",
		             "%s%u DNS-querying terms: close to RFC 7208 §4.6.4's limit of %d", bound, walk->lookups,
		             SPF_LOOKUPS_MAX);
	else
		findings_add(findings, SECTION, "", FINDING_OK, NULL, "%s%u DNS-querying terms of the %d allowed",
		             bound, walk->lookups, SPF_LOOKUPS_MAX);
	if (walk->voids > SPF_VOID_LOOKUPS_MAX)
		findings_add(findings, SECTION, "", FINDING_FAIL, "remove the terms that name domains without records",
		             "%u void lookups (names without records): over RFC 7208 §4.6.4's %d, receivers may "
		             "return permerror",
		             walk->voids, SPF_VOID_LOOKUPS_MAX);
	else if (walk->voids > 0)
		findings_add(findings, SECTION, "", FINDING_WARN, "remove the terms that name domains without records",
		             "%u void lookup%s (names without records), of the %d allowed", walk->voids,
		             walk->voids == 1 ? "" : "s", SPF_VOID_LOOKUPS_MAX);
done:
	check_state_release(walk->check);
	free(walk);
}

static void node_done(struct spf_node *node)
{
	struct spf_walk *walk = node->walk;

	free(node);
	if (--walk->pending == 0)
		walk_done(walk);
}

static void on_answer(void *context, const struct dns_answer *answer);

/* Looks up name as a node of kind; spec is the domain-spec as written (empty: current). */
static void start_node(struct spf_walk *walk, enum node_kind kind, struct slice spec, const char *current,
                       unsigned depth, bool main_chain, const char *via)
{
	struct spf_node *node;
	char name[DNS_NAME_MAX + 1];

	if (spec.length > DNS_NAME_MAX)
		return;
	if (spec.length > 0 && memchr(spec.data, '%', spec.length) != NULL) { /* §7: macros depend on the sender */
		walk->dynamic = true;
		return;
	}
	if (spec.length == 0)
		snprintf(name, sizeof name, "%s", current);
	else
		snprintf(name, sizeof name, "%.*s", (int)spec.length, spec.data);
	if (kind == NODE_RECORD && (depth > CHECK_SPF_DEPTH_MAX || walk->records >= CHECK_SPF_RECORDS_MAX)) {
		walk->truncated = true;
		return;
	}
	node = xcalloc(1, sizeof *node);
	node->walk = walk;
	node->kind = kind;
	rdata_name_normalize(name, node->domain);
	snprintf(node->via, sizeof node->via, "%s", via);
	node->depth = depth;
	node->main_chain = main_chain;
	walk->pending++;
	walk->records += kind == NODE_RECORD;
	resolver_query(walk->check->resolver, node->domain,
	               kind == NODE_RECORD ? DNS_TXT
	               : kind == NODE_MX   ? DNS_MX
	                                   : DNS_A,
	               on_answer, node);
}

static const char *subject_of(const struct spf_node *node) { return node->depth == 0 ? "" : node->domain; }

static void judge_all(struct spf_node *node, const struct spf_mechanism *all)
{
	struct findings *findings = &node->walk->check->findings;
	const char *subject = subject_of(node);

	switch (all->qualifier) {
	case SPF_QUALIFIER_PASS:
		findings_add(findings, SECTION, subject, FINDING_FAIL, "end the record with -all (or ~all)",
		             "+all: anyone may send as you, and SPF passes them");
		break;
	case SPF_QUALIFIER_NEUTRAL:
		findings_add(findings, SECTION, subject, FINDING_WARN, "end the record with ~all, then -all",
		             "?all: mail from unlisted servers is neutral, as if there were no SPF");
		break;
	case SPF_QUALIFIER_SOFTFAIL:
		findings_add(findings, SECTION, subject, FINDING_INFO,
		             "move to -all once every server that sends for you is listed",
		             "~all: mail from unlisted servers softfails (marked, rarely refused)");
		break;
	case SPF_QUALIFIER_FAIL:
		findings_add(findings, SECTION, subject, FINDING_OK, NULL,
		             "-all: receivers may refuse mail from servers you did not list");
		break;
	}
}

static const char *parse_error(enum spf_record_result result)
{
	switch (result) {
	case SPF_RECORD_BAD_TERM:
		return "breaks the grammar of RFC 7208 §12";
	case SPF_RECORD_DUPLICATE:
		return "is a second redirect= or exp= (RFC 7208 §6)";
	case SPF_RECORD_TOO_MANY:
		return "is one term too many";
	default:
		return "is not SPF";
	}
}

/* The one record of the node: counts, follows and judges its terms. */
static void walk_record(struct spf_node *node, struct slice text)
{
	struct spf_walk *walk = node->walk;
	struct findings *findings = &walk->check->findings;
	struct spf_record *record = xmalloc(sizeof *record);
	enum spf_record_result result = spf_record_parse(text, record);
	const char *subject = subject_of(node);
	const struct spf_mechanism *all = NULL;
	char via[DNS_NAME_MAX + 32];

	if (result != SPF_RECORD_OK) {
		findings_add(findings, SECTION, subject, FINDING_FAIL,
		             "fix the record: receivers return permerror for it", "syntax error: \"%.*s\" %s",
		             (int)record->error_term.length, record->error_term.data, parse_error(result));
		free(record);
		return;
	}
	if (node->depth == 0) {
		walk->parsed = true;
		findings_add(findings, SECTION, "", FINDING_OK, NULL, "one SPF record: %.*s", (int)text.length,
		             text.data);
	}
	for (size_t i = 0; i < record->mechanism_count; i++) {
		const struct spf_mechanism *mechanism = &record->mechanisms[i];
		snprintf(via, sizeof via, "%.*s in %s", (int)mechanism->term.length, mechanism->term.data,
		         node->domain);
		switch (mechanism->kind) {
		case SPF_MECHANISM_ALL:
			if (all == NULL)
				all = mechanism;
			break;
		case SPF_MECHANISM_INCLUDE:
			walk->lookups++;
			start_node(walk, NODE_RECORD, mechanism->domain_spec, node->domain, node->depth + 1, false,
			           via);
			break;
		case SPF_MECHANISM_A:
		case SPF_MECHANISM_MX:
			walk->lookups++;
			start_node(walk, mechanism->kind == SPF_MECHANISM_A ? NODE_A : NODE_MX, mechanism->domain_spec,
			           node->domain, node->depth, false, via);
			break;
		case SPF_MECHANISM_PTR:
			walk->lookups++;
			findings_add(
			    findings, SECTION, subject, FINDING_WARN, "list the servers with ip4:/ip6: or a: instead",
			    "%.*s: RFC 7208 §5.5 says do not use ptr (slow, unreliable; some receivers skip it)",
			    (int)mechanism->term.length, mechanism->term.data);
			break;
		case SPF_MECHANISM_EXISTS:
			walk->lookups++;
			break;
		default:
			break;
		}
	}
	if (all == NULL && record->has_redirect) { /* §6.1: redirect applies only without all */
		walk->lookups++;
		snprintf(via, sizeof via, "redirect=%.*s in %s", (int)record->redirect.length, record->redirect.data,
		         node->domain);
		start_node(walk, NODE_RECORD, record->redirect, node->domain, node->depth + 1, node->main_chain, via);
	} else if (node->main_chain && all != NULL) {
		judge_all(node, all);
	} else if (node->main_chain) {
		findings_add(findings, SECTION, subject, FINDING_WARN, "end the record with -all (or ~all)",
		             "no all and no redirect=: unlisted servers get neutral, as if there were no SPF");
	}
	free(record);
}

static void on_record(struct spf_node *node, const struct dns_answer *answer)
{
	struct findings *findings = &node->walk->check->findings;
	const struct dns_record *found = NULL;
	size_t count = 0;

	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		const struct dns_record *record = &answer->records[i];
		if (record->type == DNS_TXT && spf_record_is_spf(slice_make(record->text, record->text_length))) {
			count++;
			found = record;
		}
	}
	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS) {
		findings_add(findings, SECTION, subject_of(node), FINDING_WARN, "fix the domain's DNS servers",
		             "TXT lookup of %s failed: %s", node->domain, answer->why);
	} else if (count == 0) {
		if (node->depth > 0 && (answer->status != DNS_OK || answer->count == 0))
			node->walk->voids++; /* §4.6.4; the domain's own lookup is not a term */
		if (node->depth == 0)
			findings_add(
			    findings, SECTION, "", FINDING_WARN,
			    "publish one TXT record like \"v=spf1 mx -all\" listing the servers that send for you",
			    "no SPF record at %s: receivers cannot tell forged mail from yours", node->domain);
		else
			findings_add(findings, SECTION, node->domain, FINDING_FAIL, "remove the term or fix its target",
			             "%s: %s has no SPF record: receivers return permerror (RFC 7208 §5.2, §6.1)",
			             node->via, node->domain);
	} else if (count > 1) {
		findings_add(findings, SECTION, subject_of(node), FINDING_FAIL, "merge them into one v=spf1 record",
		             "%zu SPF records at %s: receivers return permerror (RFC 7208 §4.5)", count, node->domain);
	} else {
		walk_record(node, slice_make(found->text, found->text_length));
	}
}

static void on_answer(void *context, const struct dns_answer *answer)
{
	struct spf_node *node = context;

	if (node->kind == NODE_RECORD) {
		on_record(node, answer);
	} else if (answer->status == DNS_NXDOMAIN || (node->kind == NODE_MX && answer->status == DNS_NODATA)) {
		node->walk->voids++;
		findings_add(&node->walk->check->findings, SECTION, node->domain, FINDING_WARN,
		             "remove the term or publish the name", "%s: %s has no %s records", node->via, node->domain,
		             node->kind == NODE_MX ? "MX" : "address");
	} else if (node->kind == NODE_MX && answer->status == DNS_OK && answer->count > SPF_NAMES_MAX) {
		findings_add(&node->walk->check->findings, SECTION, node->domain, FINDING_FAIL,
		             "list those servers with ip4:/ip6: instead",
		             "%s: %s has %zu MX names, over RFC 7208 §4.6.4's %d: receivers return permerror",
		             node->via, node->domain, answer->count, SPF_NAMES_MAX);
	}
	node_done(node);
}

void check_spf_start(struct check_state *check, const char *domain)
{
	struct spf_walk *walk = xcalloc(1, sizeof *walk);

	walk->check = check;
	rdata_name_normalize(domain, walk->domain);
	findings_section(&check->findings, SECTION);
	check_state_hold(check);
	walk->pending = 1; /* the start itself, so nodes answering at once cannot end the walk */
	start_node(walk, NODE_RECORD, slice_make(walk->domain, strlen(walk->domain)), walk->domain, 0, true, "");
	if (--walk->pending == 0)
		walk_done(walk);
}
