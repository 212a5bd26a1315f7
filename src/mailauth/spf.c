/* spf: check_host() of RFC 7208 as a chain of DNS questions, one at a time, on the loop.
 * §4.3 initial processing (malformed domain: none), §4.4/§4.5 record lookup and selection
 * (TXT only, type SPF is never asked, §3.1; several v=spf1 records: permerror), §4.6.4
 * limits, §5 mechanisms, §5.2 include (pass matches; fail, softfail, neutral do not; none is
 * a permerror), §6.1 redirect, §6.2 exp (errors ignore it; not counted), §7 macros, §5.5 and
 * §7.3 the validated names behind ptr and %{p} (first 10 PTR names, forward-confirmed).
 * Each check owns its state; every query carries the check as context, so spf_cancel can
 * drop them all (resolver_cancel). Not here: what the SMTP session does with the result. */
#include "mailauth/spf.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailauth/spf_macro.h"
#include "mailauth/spf_record.h"
#include "mailauth/spf_validated.h"
#include "util/xalloc.h"

#define NAME_SIZE   (DNS_NAME_MAX + 1)
#define TEXT_SIZE   512  /* reason and explanation texts */
#define SENDER_SIZE 512  /* RFC 5321 §4.5.3.1.3: a path is at most 256 octets; room for a
                          * local-part substituted by "postmaster" */

/* One check_host() in progress: the top one, or one an include: started. */
struct frame {
	struct frame *parent; /* the record whose include: asked for this one */
	char domain[NAME_SIZE];
	bool redirected;      /* reached by redirect= (§6.1: no record is a permerror) */
	char *text;           /* the record, owned; record's slices point into it */
	struct spf_record record;
	size_t next;          /* the mechanism being evaluated */
};

typedef void (*answer_handler)(struct spf_check *check, const struct dns_answer *answer);
typedef void (*step)(struct spf_check *check);

struct spf_check {
	struct resolver *resolver;
	spf_callback callback;
	void *context;
	struct event *timer; /* the deadline, or the delivery of an immediate result */
	bool starting;       /* inside spf_check: a result now must wait for the loop */
	bool delivering;     /* the result is set; the timer delivers it */
	answer_handler on_answer;

	const char *identity;
	char sender[SENDER_SIZE], local_part[SENDER_SIZE], sender_domain[NAME_SIZE], helo[NAME_SIZE];
	char checked_domain[NAME_SIZE];
	unsigned char address[16];
	bool ipv6;

	struct frame *frame; /* innermost */
	unsigned lookups, voids;
	char target[NAME_SIZE];            /* of the mechanism being evaluated */
	char mx_names[SPF_NAMES_MAX][NAME_SIZE];
	size_t mx_count, mx_next;
	struct spf_validated *validated;   /* ptr and %{p}, looked up once */
	step after_validated;

	enum spf_result result;
	char mechanism[TEXT_SIZE], reason[TEXT_SIZE], explanation[TEXT_SIZE];
	char *explanation_text;            /* the exp= TXT, before expansion */
};

const char *spf_result_name(enum spf_result result)
{
	static const char *const names[] = {"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"};

	return names[result];
}

static void evaluate(struct spf_check *check);
static void fetch_record(struct spf_check *check);

static void check_free(struct spf_check *check)
{
	while (check->frame) {
		struct frame *parent = check->frame->parent;
		free(check->frame->text);
		free(check->frame);
		check->frame = parent;
	}
	resolver_cancel(check->resolver, check);
	spf_validated_free(check->validated);
	if (check->timer)
		event_free(check->timer);
	free(check->explanation_text);
	free(check);
}

static void deliver(struct spf_check *check)
{
	struct spf_outcome outcome = {
	    .result = check->result,
	    .identity = check->identity,
	    .sender = check->sender,
	    .domain = check->checked_domain,
	    .mechanism = check->mechanism,
	    .reason = check->reason,
	    .explanation = check->explanation,
	};

	resolver_cancel(check->resolver, check);
	check->callback(check->context, &outcome);
	check_free(check);
}

/* Sets the result and delivers it (later, on the loop, when still inside spf_check). */
static void finish(struct spf_check *check, enum spf_result result, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void finish(struct spf_check *check, enum spf_result result, const char *format, ...)
{
	static const struct timeval now = {0, 0};
	va_list arguments;

	check->result = result;
	if (format) {
		va_start(arguments, format);
		vsnprintf(check->reason, sizeof check->reason, format, arguments);
		va_end(arguments);
	}
	if (check->starting) {
		check->delivering = true; /* never call back from inside spf_check */
		event_add(check->timer, &now);
		return;
	}
	deliver(check);
}

static void on_dns(void *context, const struct dns_answer *answer)
{
	struct spf_check *check = context;
	answer_handler handler = check->on_answer;

	check->on_answer = NULL;
	handler(check, answer);
}

/* A name as the resolver takes it: bytes outside the visible range and "\" escaped as \DDD
 * (RFC 1035 §5.1), since macros may put spaces and such into a label (§7.3). */
static void ask(struct spf_check *check, const char *name, enum dns_type type, answer_handler handler)
{
	char escaped[NAME_SIZE * 4];
	size_t length = 0;

	for (const unsigned char *byte = (const unsigned char *)name; *byte; byte++) {
		if (*byte <= 0x20 || *byte >= 0x7f || *byte == '\\')
			length += (size_t)snprintf(escaped + length, sizeof escaped - length, "\\%03u", *byte);
		else
			escaped[length++] = (char)*byte;
	}
	escaped[length] = '\0';
	check->on_answer = handler;
	resolver_query(check->resolver, escaped, type, on_dns, check);
}

/* §4.3: a name SPF can look up: labels of 1-63 octets, at least two, 253 octets at most. */
static bool name_is_valid(const char *name, bool multi_label)
{
	size_t labels = 0, label = 0, length = strlen(name);

	if (length == 0 || length > SPF_MACRO_DOMAIN_MAX || name[0] == '[')
		return false;
	for (size_t i = 0; i <= length; i++) {
		if (i == length || name[i] == '.') {
			if (label == 0 || label > SPF_MACRO_LABEL_MAX)
				return false;
			labels++;
			label = 0;
		} else {
			label++;
		}
	}
	return !multi_label || labels >= 2;
}

static void macro_values(const struct spf_check *check, struct spf_macro_values *values)
{
	memset(values, 0, sizeof *values);
	values->sender = check->sender;
	values->local_part = check->local_part;
	values->sender_domain = check->sender_domain;
	values->domain = check->frame ? check->frame->domain : check->checked_domain;
	memcpy(values->address, check->address, sizeof values->address);
	values->ipv6 = check->ipv6;
	values->validated = spf_validated_pick(check->validated, values->domain);
	values->helo = check->helo;
	values->now = (unsigned long long)time(NULL);
}

/* Looks the validated names up once (they serve ptr and %{p}), then runs then. Returns true
 * when they are already known (then is not run). */
static bool have_validated(struct spf_check *check, step then);

/* The target of a term: the expanded domain-spec, or the current domain. false: it did not
 * expand (too long), a permerror. */
static bool expand_target(struct spf_check *check, struct slice domain_spec, char target[NAME_SIZE])
{
	struct spf_macro_values values;

	if (domain_spec.length == 0) {
		snprintf(target, NAME_SIZE, "%s", check->frame->domain);
		return true;
	}
	macro_values(check, &values);
	return spf_macro_expand_domain(domain_spec, &values, target) == SPF_MACRO_OK;
}

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
	evaluate(check);
}

/* §4.6.4: a lookup answering no records counts against the void limit. */
static bool void_lookup(struct spf_check *check)
{
	if (++check->voids <= SPF_VOID_LOOKUPS_MAX)
		return true;
	finish(check, SPF_PERMERROR, "more than %d void lookups (RFC 7208 section 4.6.4), the last for %s",
	       SPF_VOID_LOOKUPS_MAX, check->target);
	return false;
}

/* The common part of a mechanism's answer: true when it has records to look at. */
static bool answer_usable(struct spf_check *check, const struct dns_answer *answer)
{
	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS) {
		finish(check, SPF_TEMPERROR, "DNS error for %s: %s", check->target, answer->why);
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
		finish(check, SPF_TEMPERROR, "DNS error for %s: %s", check->mx_names[check->mx_next - 1], answer->why);
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
	ask(check, check->mx_names[check->mx_next++], check->ipv6 ? DNS_AAAA : DNS_A, on_mx_host);
}

/* §5.4 mx: the addresses of each exchange; more than 10 is a permerror (§4.6.4). */
static void on_mx(struct spf_check *check, const struct dns_answer *answer)
{
	if (!answer_usable(check, answer))
		return;
	if (answer->count > SPF_NAMES_MAX) {
		finish(check, SPF_PERMERROR, "%s has %zu MX records, more than %d (RFC 7208 section 4.6.4)",
		       check->target, answer->count, SPF_NAMES_MAX);
		return;
	}
	check->mx_count = check->mx_next = 0;
	for (size_t i = 0; i < answer->count; i++)
		if (answer->records[i].name[0]) /* RFC 7505 null MX: no host */
			snprintf(check->mx_names[check->mx_count++], NAME_SIZE, "%s", answer->records[i].name);
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
	struct frame *frame = xcalloc(1, sizeof *frame);

	frame->parent = check->frame;
	snprintf(frame->domain, sizeof frame->domain, "%s", check->target);
	check->frame = frame;
	fetch_record(check);
}

/* Starts a DNS-querying mechanism whose target is known. */
static void run_mechanism(struct spf_check *check)
{
	switch (current(check)->kind) {
	case SPF_MECHANISM_A: ask(check, check->target, check->ipv6 ? DNS_AAAA : DNS_A, on_a); break;
	case SPF_MECHANISM_EXISTS: ask(check, check->target, DNS_A, on_exists); break;
	case SPF_MECHANISM_MX: ask(check, check->target, DNS_MX, on_mx); break;
	case SPF_MECHANISM_PTR:
		if (have_validated(check, ptr_after_validated))
			ptr_after_validated(check);
		break;
	default: include_frame(check); break;
	}
}

/* include, a, mx, ptr, exists: count it, expand its target, look. */
static void start_lookup_mechanism(struct spf_check *check)
{
	const struct spf_mechanism *mechanism = current(check);

	if (spf_macro_uses_validated(mechanism->domain_spec) && !have_validated(check, start_lookup_mechanism))
		return;
	if (++check->lookups > SPF_LOOKUPS_MAX) {
		finish(check, SPF_PERMERROR, "more than %d DNS-querying terms (RFC 7208 section 4.6.4), at %.*s in %s",
		       SPF_LOOKUPS_MAX, (int)mechanism->term.length, mechanism->term.data, check->frame->domain);
		return;
	}
	if (!expand_target(check, mechanism->domain_spec, check->target)) {
		finish(check, SPF_PERMERROR, "%.*s in %s expands to no domain name", (int)mechanism->term.length,
		       mechanism->term.data, check->frame->domain);
		return;
	}
	if (!name_is_valid(check->target, false)) {
		/* §4.8, §5: a name no query can be made of matches nothing; include needs a record */
		if (mechanism->kind == SPF_MECHANISM_INCLUDE)
			finish(check, SPF_PERMERROR, "include of a malformed name \"%s\"", check->target);
		else
			not_matched(check);
		return;
	}
	run_mechanism(check);
}

static void follow_redirect(struct spf_check *check)
{
	struct frame *frame = check->frame;
	struct slice spec = frame->record.redirect;

	if (spf_macro_uses_validated(spec) && !have_validated(check, follow_redirect))
		return;
	if (++check->lookups > SPF_LOOKUPS_MAX) {
		finish(check, SPF_PERMERROR, "more than %d DNS-querying terms (RFC 7208 section 4.6.4), at redirect in %s",
		       SPF_LOOKUPS_MAX, frame->domain);
		return;
	}
	if (!expand_target(check, spec, check->target) || !name_is_valid(check->target, false)) {
		finish(check, SPF_PERMERROR, "redirect= in %s names a malformed domain (RFC 7208 section 6.1)",
		       frame->domain);
		return;
	}
	snprintf(frame->domain, sizeof frame->domain, "%s", check->target);
	frame->redirected = true;
	fetch_record(check);
}

/* §4.6.2: the mechanisms in order; the first match decides; then redirect=, else neutral. */
static void evaluate(struct spf_check *check)
{
	struct frame *frame = check->frame;

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

/* §6.2: the explanation text, expanded with every letter; any fault leaves it out. */
static void expand_explanation(struct spf_check *check)
{
	struct slice text = slice_from_string(check->explanation_text);
	struct spf_macro_values values;
	struct buffer out;

	if (spf_macro_uses_validated(text) && !have_validated(check, expand_explanation))
		return;
	macro_values(check, &values);
	buffer_init(&out, sizeof check->explanation - 1);
	if (spf_macro_expand(text, SPF_MACRO_EXPLANATION, &values, &out) == SPF_MACRO_OK && out.length > 0)
		memcpy(check->explanation, out.data, out.length + 1);
	buffer_free(&out);
	finish(check, SPF_FAIL, NULL);
}

/* §6.2: exactly one TXT record of visible ASCII and spaces, or no explanation. */
static void on_explanation(struct spf_check *check, const struct dns_answer *answer)
{
	const struct dns_record *record = &answer->records[0];

	if (answer->status != DNS_OK || answer->count != 1) {
		finish(check, SPF_FAIL, NULL);
		return;
	}
	for (size_t i = 0; i < record->text_length; i++) {
		unsigned char byte = (unsigned char)record->text[i];
		if (byte < 0x20 || byte > 0x7e) {
			finish(check, SPF_FAIL, NULL);
			return;
		}
	}
	check->explanation_text = xstrdup(record->text);
	expand_explanation(check);
}

/* §6.2: exp= of the record that gave fail (after redirects, never an included one's). Its
 * lookup counts toward no limit. */
static void explain(struct spf_check *check)
{
	struct slice spec = check->frame->record.explanation;

	if (spf_macro_uses_validated(spec) && !have_validated(check, explain))
		return;
	if (!expand_target(check, spec, check->target) || !name_is_valid(check->target, false)) {
		finish(check, SPF_FAIL, NULL);
		return;
	}
	ask(check, check->target, DNS_TXT, on_explanation);
}

static void frame_result(struct spf_check *check, enum spf_result result)
{
	struct frame *frame = check->frame;

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
		explain(check);
	else
		finish(check, result, NULL);
}

static void no_record(struct spf_check *check)
{
	struct frame *frame = check->frame;

	if (frame->parent) /* §5.2: include of a domain without a record */
		finish(check, SPF_PERMERROR, "include:%s finds no SPF record (RFC 7208 section 5.2)", frame->domain);
	else if (frame->redirected)
		finish(check, SPF_PERMERROR, "redirect=%s finds no SPF record (RFC 7208 section 6.1)", frame->domain);
	else
		finish(check, SPF_NONE, "no SPF record at %s", frame->domain);
}

static const char *record_error(enum spf_record_result result)
{
	return result == SPF_RECORD_DUPLICATE ? "redirect= or exp= twice (RFC 7208 section 6)"
	       : result == SPF_RECORD_TOO_MANY ? "too many terms"
	                                       : "syntax error (RFC 7208 section 12)";
}

/* A term for a message: bytes outside visible ASCII as "?", cut to size. */
static void printable(struct slice term, char *out, size_t size)
{
	size_t length = term.length < size - 1 ? term.length : size - 1;

	for (size_t i = 0; i < length; i++)
		out[i] = term.data[i] >= 0x20 && term.data[i] <= 0x7e ? term.data[i] : '?';
	out[length] = '\0';
}

/* §4.4, §4.5: the TXT records of the domain; exactly one starting "v=spf1". */
static void on_record(struct spf_check *check, const struct dns_answer *answer)
{
	struct frame *frame = check->frame;
	const struct dns_record *found = NULL;
	size_t count = 0;
	enum spf_record_result result;

	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS) {
		finish(check, SPF_TEMPERROR, "DNS error looking up the SPF record of %s: %s", frame->domain, answer->why);
		return;
	}
	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		if (spf_record_is_spf(slice_make(answer->records[i].text, answer->records[i].text_length))) {
			found = &answer->records[i];
			count++;
		}
	}
	if (count == 0) {
		no_record(check);
		return;
	}
	if (count > 1) {
		finish(check, SPF_PERMERROR, "%s has %zu SPF records (RFC 7208 section 4.5)", frame->domain, count);
		return;
	}
	free(frame->text);
	frame->text = xmalloc(found->text_length + 1);
	memcpy(frame->text, found->text, found->text_length + 1);
	result = spf_record_parse(slice_make(frame->text, found->text_length), &frame->record);
	if (result != SPF_RECORD_OK) {
		char term[TEXT_SIZE / 2];
		printable(frame->record.error_term, term, sizeof term);
		finish(check, SPF_PERMERROR, "the SPF record of %s: %s at \"%s\"", frame->domain, record_error(result),
		       term);
		return;
	}
	frame->next = 0;
	evaluate(check);
}

static void fetch_record(struct spf_check *check)
{
	snprintf(check->target, sizeof check->target, "%s", check->frame->domain);
	ask(check, check->frame->domain, DNS_TXT, on_record);
}

static void on_validated(void *context)
{
	struct spf_check *check = context;
	step then = check->after_validated;

	check->after_validated = NULL;
	then(check);
}

static bool have_validated(struct spf_check *check, step then)
{
	if (check->validated && spf_validated_ready(check->validated))
		return true;
	check->after_validated = then;
	check->validated = spf_validated_start(check->resolver, check->address, check->ipv6, on_validated, check);
	return false;
}

static void on_timer(evutil_socket_t fd, short events, void *context)
{
	struct spf_check *check = context;

	if (check->delivering)
		deliver(check);
	else
		finish(check, SPF_TEMPERROR, "no result within %d seconds (RFC 7208 section 4.6.4)", SPF_DEADLINE_SECONDS);
}

/* §4.3, §2.3, §2.4: who is checked. The null sender is postmaster@HELO; a sender without a
 * local-part gets "postmaster". */
static void set_identity(struct spf_check *check, const char *helo, const char *sender)
{
	const char *at = sender ? strrchr(sender, '@') : NULL;
	size_t length;

	snprintf(check->helo, sizeof check->helo, "%s", helo ? helo : "");
	check->identity = sender ? "mailfrom" : "helo";
	if (sender == NULL || sender[0] == '\0') {
		snprintf(check->sender_domain, sizeof check->sender_domain, "%s", check->helo);
		check->local_part[0] = '\0';
	} else if (at == NULL) {
		snprintf(check->sender_domain, sizeof check->sender_domain, "%s", sender);
		check->local_part[0] = '\0';
	} else {
		snprintf(check->sender_domain, sizeof check->sender_domain, "%s", at + 1);
		snprintf(check->local_part, sizeof check->local_part, "%.*s", (int)(at - sender), sender);
	}
	if (check->local_part[0] == '\0')
		snprintf(check->local_part, sizeof check->local_part, "postmaster");
	length = strlen(check->sender_domain);
	if (length > 0 && check->sender_domain[length - 1] == '.')
		check->sender_domain[length - 1] = '\0'; /* the same name, absolute */
	snprintf(check->sender, sizeof check->sender, "%.255s@%.255s", check->local_part, check->sender_domain);
	snprintf(check->checked_domain, sizeof check->checked_domain, "%s", check->sender_domain);
}

/* The client's address; an IPv4-mapped IPv6 one is IPv4 (§5). */
static bool parse_client(struct spf_check *check, const char *client_ip)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (client_ip == NULL)
		return false;
	if (inet_pton(AF_INET, client_ip, check->address) == 1)
		return true;
	if (inet_pton(AF_INET6, client_ip, check->address) != 1)
		return false;
	check->ipv6 = memcmp(check->address, mapped, sizeof mapped) != 0;
	if (!check->ipv6)
		memmove(check->address, check->address + 12, 4);
	return true;
}

struct spf_check *spf_check(struct resolver *resolver, const char *client_ip, const char *helo, const char *sender,
                            spf_callback callback, void *context)
{
	static const struct timeval deadline = {SPF_DEADLINE_SECONDS, 0};
	struct spf_check *check = xcalloc(1, sizeof *check);

	if (!parse_client(check, client_ip)) {
		free(check);
		return NULL;
	}
	check->resolver = resolver;
	check->callback = callback;
	check->context = context;
	check->timer = evtimer_new(resolver_base(resolver), on_timer, check);
	event_add(check->timer, &deadline);
	set_identity(check, helo, sender);
	check->starting = true;
	if (!name_is_valid(check->checked_domain, true)) {
		finish(check, SPF_NONE, "\"%s\" is not a domain name SPF can check (RFC 7208 section 4.3)",
		       check->checked_domain);
	} else {
		check->frame = xcalloc(1, sizeof *check->frame);
		snprintf(check->frame->domain, sizeof check->frame->domain, "%s", check->checked_domain);
		fetch_record(check);
	}
	check->starting = false;
	return check;
}

void spf_cancel(struct spf_check *check)
{
	if (check)
		check_free(check);
}
