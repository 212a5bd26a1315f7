/* spf_evaluate: a record's terms in order (RFC 7208 §4.6.2), each DNS-querying one counted
 * (§4.6.4: 10 terms, 2 void lookups, 10 MX names): all (§5.1), include (§5.2: pass matches;
 * fail, softfail, neutral do not; errors end the check), a (§5.3), mx (§5.4), ptr (§5.5, over
 * the validated names), ip4/ip6 (§5.6, an IPv4-mapped client is IPv4), exists (§5.7), then
 * redirect= (§6.1) or the default neutral (§4.7). A name that no query can be made of (a
 * label over 63 octets after expansion) matches nothing. Not here: finding the record
 * (spf.c), exp= (spf.c). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth/spf_internal.h"
#include "mailauth/spf_macro.h"
#include "mailauth/spf_validated.h"
#include "util/xalloc.h"

static void frame_result(struct spf_check *check, enum spf_result result);

static bool address_matches(const struct spf_check *check, const unsigned char *address, bool ipv6,
                            unsigned prefix)
{
	size_t whole = prefix / 8;
	unsigned rest = prefix % 8;

	if (ipv6 != check->ipv6)
		return false;
	if (memcmp(address, check->address, whole) != 0)
		return false;
	return rest == 0 || ((address[whole] ^ check->address[whole]) & (0xff00 >> rest) & 0xff) == 0;
}

static const struct spf_mechanism *current(const struct spf_check *check)
{
	return &check->frame->record.mechanisms[check->frame->next];
}

static void client_text(const struct spf_check *check, char text[INET6_ADDRSTRLEN])
{
	inet_ntop(check->ipv6 ? AF_INET6 : AF_INET, check->address, text, INET6_ADDRSTRLEN);
}

static void frame_result(struct spf_check *check, enum spf_result result);

/* The current mechanism matched: its qualifier is the frame's result (§4.6.2). */
static void matched(struct spf_check *check)
{
	const struct spf_mechanism *mechanism = current(check);
	static const enum spf_result results[] = {SPF_PASS, SPF_FAIL, SPF_SOFTFAIL, SPF_NEUTRAL};
	char client[INET6_ADDRSTRLEN];

	if (check->frame->parent == NULL)
		snprintf(check->mechanism, sizeof check->mechanism, "%.*s", (int)mechanism->term.length,
		         mechanism->term.data);
	if (check->reason[0] == '\0') {
		client_text(check, client);
		snprintf(check->reason, sizeof check->reason, "%s matched %.*s in the record of %s", client,
		         (int)mechanism->term.length, mechanism->term.data, check->frame->domain);
	}
	frame_result(check, results[mechanism->qualifier]);
}

static void not_matched(struct spf_check *check)
{
	check->frame->next++;
	spf_evaluate_record(check);
}

/* §4.6.4: a lookup answering no records counts against the void limit. */
static bool void_lookup(struct spf_check *check)
{
	if (++check->voids <= SPF_VOID_LOOKUPS_MAX)
		return true;
	spf_finish(check, SPF_PERMERROR, "more than %d void lookups (RFC 7208 section 4.6.4), the last for %s",
	       SPF_VOID_LOOKUPS_MAX, check->target);
	return false;
}

/* The common part of a mechanism's answer: true when it has records to look at. */
static bool answer_usable(struct spf_check *check, const struct dns_answer *answer)
{
	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS) {
		spf_finish(check, SPF_TEMPERROR, "DNS error for %s: %s", check->target, answer->why);
		return false;
	}
	if (answer->status != DNS_OK || answer->count == 0) {
		if (void_lookup(check))
			not_matched(check);
		return false;
	}
	return true;
}

static bool any_address_matches(struct spf_check *check, const struct dns_answer *answer)
{
	const struct spf_mechanism *mechanism = current(check);

	for (size_t i = 0; i < answer->count; i++) {
		bool ipv6 = answer->records[i].type == DNS_AAAA;
		if (address_matches(check, answer->records[i].address, ipv6, ipv6 ? mechanism->cidr6 : mechanism->cidr4))
			return true;
	}
	return false;
}

/* §5.3 a: the target's addresses of the client's family */
static void on_a(struct spf_check *check, const struct dns_answer *answer)
{
	if (!answer_usable(check, answer))
		return;
	if (any_address_matches(check, answer))
		matched(check);
	else
		not_matched(check);
}

/* §5.7 exists: any A record, whatever the client's family */
static void on_exists(struct spf_check *check, const struct dns_answer *answer)
{
	if (answer_usable(check, answer))
		matched(check);
}

static void next_mx_host(struct spf_check *check);

static void on_mx_host(struct spf_check *check, const struct dns_answer *answer)
{
	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS) {
		spf_finish(check, SPF_TEMPERROR, "DNS error for %s: %s", check->mx_names[check->mx_next - 1], answer->why);
		return;
	}
	if (answer->status == DNS_OK && any_address_matches(check, answer))
		matched(check);
	else
		next_mx_host(check);
}

static void next_mx_host(struct spf_check *check)
{
	if (check->mx_next == check->mx_count) {
		not_matched(check);
		return;
	}
	spf_ask(check, check->mx_names[check->mx_next++], check->ipv6 ? DNS_AAAA : DNS_A, on_mx_host);
}

/* §5.4 mx: the addresses of each exchange; more than 10 is a permerror (§4.6.4). */
static void on_mx(struct spf_check *check, const struct dns_answer *answer)
{
	if (!answer_usable(check, answer))
		return;
	if (answer->count > SPF_NAMES_MAX) {
		spf_finish(check, SPF_PERMERROR, "%s has %zu MX records, more than %d (RFC 7208 section 4.6.4)",
		       check->target, answer->count, SPF_NAMES_MAX);
		return;
	}
	check->mx_count = check->mx_next = 0;
	for (size_t i = 0; i < answer->count; i++)
		if (answer->records[i].name[0]) /* RFC 7505 null MX: no host */
			snprintf(check->mx_names[check->mx_count++], SPF_NAME_SIZE, "%s", answer->records[i].name);
	next_mx_host(check);
}

/* §5.5 ptr: a validated name equal to the target or below it */
static void ptr_after_validated(struct spf_check *check)
{
	if (spf_validated_has_within(check->validated, check->target))
		matched(check);
	else
		not_matched(check);
}

static void include_frame(struct spf_check *check)
{
	struct spf_frame *frame = xcalloc(1, sizeof *frame);

	frame->parent = check->frame;
	snprintf(frame->domain, sizeof frame->domain, "%s", check->target);
	check->frame = frame;
	spf_fetch_record(check);
}

/* Starts a DNS-querying mechanism whose target is known. */
static void run_mechanism(struct spf_check *check)
{
	switch (current(check)->kind) {
	case SPF_MECHANISM_A: spf_ask(check, check->target, check->ipv6 ? DNS_AAAA : DNS_A, on_a); break;
	case SPF_MECHANISM_EXISTS: spf_ask(check, check->target, DNS_A, on_exists); break;
	case SPF_MECHANISM_MX: spf_ask(check, check->target, DNS_MX, on_mx); break;
	case SPF_MECHANISM_PTR:
		if (spf_have_validated(check, ptr_after_validated))
			ptr_after_validated(check);
		break;
	default: include_frame(check); break;
	}
}

/* include, a, mx, ptr, exists: count it, expand its target, look. */
static void start_lookup_mechanism(struct spf_check *check)
{
	const struct spf_mechanism *mechanism = current(check);

	if (spf_macro_uses_validated(mechanism->domain_spec) && !spf_have_validated(check, start_lookup_mechanism))
		return;
	if (++check->lookups > SPF_LOOKUPS_MAX) {
		spf_finish(check, SPF_PERMERROR, "more than %d DNS-querying terms (RFC 7208 section 4.6.4), at %.*s in %s",
		       SPF_LOOKUPS_MAX, (int)mechanism->term.length, mechanism->term.data, check->frame->domain);
		return;
	}
	if (!spf_expand_target(check, mechanism->domain_spec, check->target)) {
		spf_finish(check, SPF_PERMERROR, "%.*s in %s expands to no domain name", (int)mechanism->term.length,
		       mechanism->term.data, check->frame->domain);
		return;
	}
	if (!spf_name_is_valid(check->target, false)) {
		/* §4.8, §5: a name no query can be made of matches nothing; include needs a record */
		if (mechanism->kind == SPF_MECHANISM_INCLUDE)
			spf_finish(check, SPF_PERMERROR, "include of a malformed name \"%s\"", check->target);
		else
			not_matched(check);
		return;
	}
	run_mechanism(check);
}

static void follow_redirect(struct spf_check *check)
{
	struct spf_frame *frame = check->frame;
	struct slice spec = frame->record.redirect;

	if (spf_macro_uses_validated(spec) && !spf_have_validated(check, follow_redirect))
		return;
	if (++check->lookups > SPF_LOOKUPS_MAX) {
		spf_finish(check, SPF_PERMERROR, "more than %d DNS-querying terms (RFC 7208 section 4.6.4), at redirect in %s",
		       SPF_LOOKUPS_MAX, frame->domain);
		return;
	}
	if (!spf_expand_target(check, spec, check->target) || !spf_name_is_valid(check->target, false)) {
		spf_finish(check, SPF_PERMERROR, "redirect= in %s names a malformed domain (RFC 7208 section 6.1)",
		       frame->domain);
		return;
	}
	snprintf(frame->domain, sizeof frame->domain, "%s", check->target);
	frame->redirected = true;
	spf_fetch_record(check);
}

/* §4.6.2: the mechanisms in order; the first match decides; then redirect=, else neutral. */
void spf_evaluate_record(struct spf_check *check)
{
	struct spf_frame *frame = check->frame;

	while (frame->next < frame->record.mechanism_count) {
		const struct spf_mechanism *mechanism = current(check);
		switch (mechanism->kind) {
		case SPF_MECHANISM_ALL: matched(check); return;
		case SPF_MECHANISM_IP4:
		case SPF_MECHANISM_IP6:
			if (address_matches(check, mechanism->address, mechanism->kind == SPF_MECHANISM_IP6,
			                    mechanism->kind == SPF_MECHANISM_IP6 ? mechanism->cidr6 : mechanism->cidr4)) {
				matched(check);
				return;
			}
			frame->next++;
			break;
		default: start_lookup_mechanism(check); return;
		}
	}
	if (frame->record.has_redirect)
		follow_redirect(check);
	else if (frame->parent)
		frame_result(check, SPF_NEUTRAL); /* §4.7 */
	else {
		snprintf(check->reason, sizeof check->reason,
		         "no mechanism matched in the record of %s: the default is neutral (RFC 7208 section 4.7)",
		         frame->domain);
		frame_result(check, SPF_NEUTRAL);
	}
}

static void frame_result(struct spf_check *check, enum spf_result result)
{
	struct spf_frame *frame = check->frame;

	if (frame->parent) { /* §5.2: an include matches on pass only */
		check->frame = frame->parent;
		free(frame->text);
		free(frame);
		if (result == SPF_PASS) {
			matched(check);
		} else {
			check->reason[0] = '\0';
			not_matched(check);
		}
		return;
	}
	if (result == SPF_FAIL && frame->record.has_explanation)
		spf_explain(check);
	else
		spf_finish(check, result, NULL);
}
