/* spf: check_host() of RFC 7208 as a chain of DNS questions, one at a time, on the loop; this
 * file is the check's life: §2.3/§2.4/§4.3 the identity (null sender: postmaster@HELO;
 * a malformed domain: none), §4.4/§4.5 record lookup and selection (TXT only, type SPF is never
 * asked, §3.1; several v=spf1 records: permerror), §6.2 exp (errors ignore it; not counted),
 * §4.6.4 the elapsed-time limit, and the delivery of the result. spf_evaluate.c evaluates the
 * record. Every query carries the check as context, so spf_cancel drops them all
 * (resolver_cancel). Not here: what the SMTP session does with the result. */
#include "mailauth/spf.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailauth/spf_internal.h"
#include "mailauth/spf_macro.h"
#include "mailauth/spf_validated.h"
#include "util/xalloc.h"

const char *spf_result_name(enum spf_result result)
{
	static const char *const names[] = {"none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"};

	return names[result];
}


static void check_free(struct spf_check *check)
{
	while (check->frame) {
		struct spf_frame *parent = check->frame->parent;
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
void spf_finish(struct spf_check *check, enum spf_result result, const char *format, ...)
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
	spf_answer_handler handler = check->on_answer;

	check->on_answer = NULL;
	handler(check, answer);
}

/* A name as the resolver takes it: bytes outside the visible range and "\" escaped as \DDD
 * (RFC 1035 §5.1), since macros may put spaces and such into a label (§7.3). */
void spf_ask(struct spf_check *check, const char *name, enum dns_type type, spf_answer_handler handler)
{
	char escaped[SPF_NAME_SIZE * 4];
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
bool spf_name_is_valid(const char *name, bool multi_label)
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


/* The target of a term: the expanded domain-spec, or the current domain. false: it did not
 * expand (too long), a permerror. */
bool spf_expand_target(struct spf_check *check, struct slice domain_spec, char target[SPF_NAME_SIZE])
{
	struct spf_macro_values values;

	if (domain_spec.length == 0) {
		snprintf(target, SPF_NAME_SIZE, "%s", check->frame->domain);
		return true;
	}
	macro_values(check, &values);
	return spf_macro_expand_domain(domain_spec, &values, target) == SPF_MACRO_OK;
}

/* §6.2: the explanation text, expanded with every letter; any fault leaves it out. */
static void expand_explanation(struct spf_check *check)
{
	struct slice text = slice_from_string(check->explanation_text);
	struct spf_macro_values values;
	struct buffer out;

	if (spf_macro_uses_validated(text) && !spf_have_validated(check, expand_explanation))
		return;
	macro_values(check, &values);
	buffer_init(&out, sizeof check->explanation - 1);
	if (spf_macro_expand(text, SPF_MACRO_EXPLANATION, &values, &out) == SPF_MACRO_OK && out.length > 0)
		memcpy(check->explanation, out.data, out.length + 1);
	buffer_free(&out);
	spf_finish(check, SPF_FAIL, NULL);
}

/* §6.2: exactly one TXT record of visible ASCII and spaces, or no explanation. */
static void on_explanation(struct spf_check *check, const struct dns_answer *answer)
{
	const struct dns_record *record = &answer->records[0];

	if (answer->status != DNS_OK || answer->count != 1) {
		spf_finish(check, SPF_FAIL, NULL);
		return;
	}
	for (size_t i = 0; i < record->text_length; i++) {
		unsigned char byte = (unsigned char)record->text[i];
		if (byte < 0x20 || byte > 0x7e) {
			spf_finish(check, SPF_FAIL, NULL);
			return;
		}
	}
	check->explanation_text = xstrdup(record->text);
	expand_explanation(check);
}

/* §6.2: exp= of the record that gave fail (after redirects, never an included one's). Its
 * lookup counts toward no limit. */
void spf_explain(struct spf_check *check)
{
	struct slice spec = check->frame->record.explanation;

	if (spf_macro_uses_validated(spec) && !spf_have_validated(check, spf_explain))
		return;
	if (!spf_expand_target(check, spec, check->target) || !spf_name_is_valid(check->target, false)) {
		spf_finish(check, SPF_FAIL, NULL);
		return;
	}
	spf_ask(check, check->target, DNS_TXT, on_explanation);
}

static void no_record(struct spf_check *check)
{
	struct spf_frame *frame = check->frame;

	if (frame->parent) /* §5.2: include of a domain without a record */
		spf_finish(check, SPF_PERMERROR, "include:%s finds no SPF record (RFC 7208 section 5.2)", frame->domain);
	else if (frame->redirected)
		spf_finish(check, SPF_PERMERROR, "redirect=%s finds no SPF record (RFC 7208 section 6.1)", frame->domain);
	else
		spf_finish(check, SPF_NONE, "no SPF record at %s", frame->domain);
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
	struct spf_frame *frame = check->frame;
	const struct dns_record *found = NULL;
	size_t count = 0;
	enum spf_record_result result;

	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS) {
		spf_finish(check, SPF_TEMPERROR, "DNS error looking up the SPF record of %s: %s", frame->domain, answer->why);
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
		spf_finish(check, SPF_PERMERROR, "%s has %zu SPF records (RFC 7208 section 4.5)", frame->domain, count);
		return;
	}
	free(frame->text);
	frame->text = xmalloc(found->text_length + 1);
	memcpy(frame->text, found->text, found->text_length + 1);
	result = spf_record_parse(slice_make(frame->text, found->text_length), &frame->record);
	if (result != SPF_RECORD_OK) {
		char term[SPF_TEXT_SIZE / 2];
		printable(frame->record.error_term, term, sizeof term);
		spf_finish(check, SPF_PERMERROR, "the SPF record of %s: %s at \"%s\"", frame->domain, record_error(result),
		       term);
		return;
	}
	frame->next = 0;
	spf_evaluate_record(check);
}

void spf_fetch_record(struct spf_check *check)
{
	snprintf(check->target, sizeof check->target, "%s", check->frame->domain);
	spf_ask(check, check->frame->domain, DNS_TXT, on_record);
}

static void on_validated(void *context)
{
	struct spf_check *check = context;
	spf_step then = check->after_validated;

	check->after_validated = NULL;
	then(check);
}

bool spf_have_validated(struct spf_check *check, spf_step then)
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
		spf_finish(check, SPF_TEMPERROR, "no result within %d seconds (RFC 7208 section 4.6.4)", SPF_DEADLINE_SECONDS);
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
	if (!spf_name_is_valid(check->checked_domain, true)) {
		spf_finish(check, SPF_NONE, "\"%s\" is not a domain name SPF can check (RFC 7208 section 4.3)",
		       check->checked_domain);
	} else {
		check->frame = xcalloc(1, sizeof *check->frame);
		snprintf(check->frame->domain, sizeof check->frame->domain, "%s", check->checked_domain);
		spf_fetch_record(check);
	}
	check->starting = false;
	return check;
}

void spf_cancel(struct spf_check *check)
{
	if (check)
		check_free(check);
}
