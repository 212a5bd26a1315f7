/* resolver: asynchronous DNS over libunbound on the libevent loop. libunbound resolves in its
 * own thread; its pipe (ub_fd) is watched and ub_process delivers answers here, on the loop
 * thread. Answers come as uncompressed wire rdata (RFC 1035 §3.3), parsed by rdata.c
 * into plain records. Status: RFC 2308 (NXDOMAIN, NODATA), RFC 4035 §4.3 (secure, bogus).
 * Not here: caching policy (libunbound's), which servers to trust, anything DNS-over-TLS. */
#include "dns/resolver.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unbound.h>

#include "dns/rdata.h"
#include "util/xalloc.h"

/* No answer within this long is a TEMPFAIL. libunbound has no per-query time limit: against a
 * silent server it retries with back-off for about 17 seconds before SERVFAIL. Its knobs that
 * shorten that (infra-cache-max-rtt) also make it declare the server down for every other
 * query for infra-host-ttl (15 minutes), and infra-host-ttl 0 then makes it give up on any
 * server slower than its first 376 ms retry; so its defaults stay, and this deadline bounds
 * the wait (as resolv.conf's default 5 s timeout and 2 attempts do). */
#define RESOLVER_DEADLINE_SECONDS 10

struct query {
	struct resolver *resolver;
	resolver_callback callback;
	void *context;
	enum dns_type type;
	char name[DNS_NAME_MAX + 2];
	int async_id;
	bool in_unbound;     /* libunbound owns a callback for it (async_id valid) */
	struct event *timer; /* the deadline, or an immediate failure when !in_unbound */
	char why[128];       /* for an immediate failure */
	struct query *previous, *next;
};

struct resolver {
	struct event_base *base;
	struct ub_ctx *context;
	struct event *readable;
	struct query *queries; /* in flight, to cancel on free */
	unsigned pending;
	bool processing; /* inside ub_process: resolver_free must wait until it returns */
	bool freeing;    /* resolver_free was called inside ub_process */
};

static void query_link(struct resolver *resolver, struct query *query)
{
	query->previous = NULL;
	query->next = resolver->queries;
	if (resolver->queries)
		resolver->queries->previous = query;
	resolver->queries = query;
	resolver->pending++;
}

static void query_unlink_and_free(struct query *query)
{
	struct resolver *resolver = query->resolver;

	if (query->previous)
		query->previous->next = query->next;
	else
		resolver->queries = query->next;
	if (query->next)
		query->next->previous = query->previous;
	resolver->pending--;
	if (query->timer)
		event_free(query->timer);
	free(query);
}

/* Runs the callback, unless the resolver is being freed, then forgets the query. */
static void query_finish(struct query *query, const struct dns_answer *answer)
{
	resolver_callback callback = query->callback;
	void *context = query->context;
	bool deliver = !query->resolver->freeing && callback != NULL; /* NULL: resolver_cancel */

	query_unlink_and_free(query);
	if (deliver)
		callback(context, answer);
}

static void finish_tempfail(struct query *query, const char *why)
{
	struct dns_answer answer = {.status = DNS_TEMPFAIL};

	snprintf(answer.why, sizeof answer.why, "%s", why);
	query_finish(query, &answer);
}

static void answer_set_rcode_why(struct dns_answer *answer, int rcode)
{
	const char *name = rdata_rcode_name(rcode);

	if (rcode == 2) /* libunbound also says SERVFAIL when no server answered at all */
		snprintf(answer->why, sizeof answer->why, "SERVFAIL: the server failed or did not answer");
	else if (name)
		snprintf(answer->why, sizeof answer->why, "the server answered %s", name);
	else
		snprintf(answer->why, sizeof answer->why, "the server answered rcode %d", rcode);
}

static void answer_set_status(struct dns_answer *answer, int error, const struct ub_result *result)
{
	if (error) {
		answer->status = DNS_TEMPFAIL;
		snprintf(answer->why, sizeof answer->why, "resolver error: %s", ub_strerror(error));
	} else if (result->bogus) {
		answer->status = DNS_BOGUS; /* RFC 4035 §4.3 */
		snprintf(answer->why, sizeof answer->why, "DNSSEC validation failed: %s",
		         result->why_bogus ? result->why_bogus : "bogus");
	} else if (result->havedata) {
		answer->status = DNS_OK;
	} else if (result->nxdomain) {
		answer->status = DNS_NXDOMAIN; /* RFC 2308 §2.1 */
	} else if (result->rcode == 0) {
		answer->status = DNS_NODATA; /* RFC 2308 §2.2 */
	} else {
		answer->status = DNS_TEMPFAIL;
		answer_set_rcode_why(answer, result->rcode);
	}
}

/* "" when canonname is the question itself (or absent), else its normalized form. */
static void answer_set_canonical(struct dns_answer *answer, const struct ub_result *result)
{
	char question[DNS_NAME_MAX + 1];

	if (result->canonname == NULL)
		return;
	rdata_name_normalize(result->qname, question);
	rdata_name_normalize(result->canonname, answer->canonical);
	if (strcmp(question, answer->canonical) == 0)
		answer->canonical[0] = '\0';
}

/* Parses every record; -1 (all freed) when one does not parse. */
static int answer_parse_records(struct dns_answer *answer, enum dns_type type, const struct ub_result *result)
{
	size_t count = 0;

	while (result->data[count])
		count++;
	answer->records = xcalloc(count ? count : 1, sizeof *answer->records);
	for (answer->count = 0; answer->count < count; answer->count++) {
		struct dns_record *record = &answer->records[answer->count];
		if (result->len[answer->count] < 0 ||
		    rdata_parse(type, (const unsigned char *)result->data[answer->count],
		                (size_t)result->len[answer->count], record) != RDATA_OK) {
			answer->count++;
			return -1;
		}
	}
	return 0;
}

static void answer_free_records(struct dns_answer *answer)
{
	for (size_t i = 0; i < answer->count; i++)
		rdata_record_clear(&answer->records[i]);
	free(answer->records);
	answer->records = NULL;
	answer->count = 0;
}

/* libunbound's completion, called from ub_process on the loop thread. */
static void on_result(void *data, int error, struct ub_result *result)
{
	struct query *query = data;
	struct dns_answer answer = {0};

	if (result == NULL && error == 0)
		error = UB_NOMEM;
	answer_set_status(&answer, error, result);
	if (!error) {
		answer.secure = result->secure;
		answer_set_canonical(&answer, result);
	}
	if (answer.status == DNS_OK && answer_parse_records(&answer, query->type, result) < 0) {
		answer_free_records(&answer);
		answer.status = DNS_TEMPFAIL;
		snprintf(answer.why, sizeof answer.why, "malformed %s record for %.90s", rdata_type_name(query->type),
		         query->name);
	}
	ub_resolve_free(result);
	query->in_unbound = false;
	query_finish(query, &answer);
	answer_free_records(&answer);
}

static void on_timer(evutil_socket_t fd, short events, void *data)
{
	struct query *query = data;
	char why[128];

	if (!query->in_unbound) {
		snprintf(why, sizeof why, "%s", query->why);
		finish_tempfail(query, why);
		return;
	}
	ub_cancel(query->resolver->context, query->async_id);
	query->in_unbound = false;
	snprintf(why, sizeof why, "no answer for %.80s %s within %d seconds", query->name, rdata_type_name(query->type),
	         RESOLVER_DEADLINE_SECONDS);
	finish_tempfail(query, why);
}

static void resolver_destroy(struct resolver *resolver)
{
	while (resolver->queries) {
		struct query *query = resolver->queries;
		if (query->in_unbound)
			ub_cancel(resolver->context, query->async_id);
		query_unlink_and_free(query);
	}
	event_free(resolver->readable);
	ub_ctx_delete(resolver->context);
	free(resolver);
}

static void on_readable(evutil_socket_t fd, short events, void *data)
{
	struct resolver *resolver = data;

	resolver->processing = true;
	ub_process(resolver->context);
	resolver->processing = false;
	if (resolver->freeing)
		resolver_destroy(resolver);
}

/* "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT" into libunbound's "ADDR@PORT". */
static int forwarder_spec(const char *server, char *out, size_t size)
{
	char address[INET6_ADDRSTRLEN + 1];
	unsigned char binary[16];
	const char *port = NULL, *colon = strchr(server, ':');
	size_t length;

	if (server[0] == '[') {
		const char *close = strchr(server, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		length = (size_t)(close - server - 1);
		port = close[1] == ':' ? close + 2 : NULL;
		server++;
	} else if (colon && strchr(colon + 1, ':') == NULL) {
		length = (size_t)(colon - server);
		port = colon + 1;
	} else {
		length = strlen(server); /* an IPv4 address, or a bare IPv6 one */
	}
	if (length >= sizeof address)
		return -1;
	memcpy(address, server, length);
	address[length] = '\0';
	if (inet_pton(AF_INET, address, binary) != 1 && inet_pton(AF_INET6, address, binary) != 1)
		return -1;
	if (port == NULL)
		return snprintf(out, size, "%s", address) < (int)size ? 0 : -1;
	char *end;
	unsigned long number = strtoul(port, &end, 10);
	if (port[0] < '0' || port[0] > '9' || *end != '\0' || number == 0 || number > 65535)
		return -1;
	return snprintf(out, size, "%s@%lu", address, number) < (int)size ? 0 : -1;
}

/* libunbound options beyond its defaults. */
static const char *const unbound_options[][2] = {
    {"do-ip6:", "yes"},
    /* RFC 6761 §6.2 lets a resolver answer for "test." itself, and libunbound does (NXDOMAIN);
     * the integration tests serve their test zones from a server of their own: ask it. (The
     * "nodefault" that unbound.conf takes is not honoured through ub_ctx_set_option.) */
    {"local-zone:", "test. transparent"},
    /* libunbound answers reverse lookups in private ranges (RFC 1918, RFC 6303) itself, with
     * NXDOMAIN; as a stub it should ask the server it forwards to, which may know those names
     * (SPF's ptr and %{p}, RFC 7208 §5.5, of a client on a private network). */
    {"unblock-lan-zones:", "yes"},
    {"insecure-lan-zones:", "yes"},
};

static int configure(struct ub_ctx *context, const char *server, const char *trust_anchor_file, char *error,
                     size_t size)
{
	char forwarder[INET6_ADDRSTRLEN + 16];
	int status;

	if (server && forwarder_spec(server, forwarder, sizeof forwarder) < 0) {
		snprintf(error, size, "resolver \"%s\": expected ADDRESS, ADDRESS:PORT or [IPV6]:PORT", server);
		return -1;
	}
	if ((status = ub_ctx_async(context, 1)) != 0) {
		snprintf(error, size, "libunbound without threads: %s", ub_strerror(status));
		return -1;
	}
	for (size_t i = 0; i < sizeof unbound_options / sizeof *unbound_options; i++) {
		if ((status = ub_ctx_set_option(context, unbound_options[i][0], unbound_options[i][1])) != 0) {
			snprintf(error, size, "libunbound option %s %s: %s", unbound_options[i][0],
			         unbound_options[i][1], ub_strerror(status));
			return -1;
		}
	}
	if ((status = server ? ub_ctx_set_fwd(context, forwarder) : ub_ctx_resolvconf(context, NULL)) != 0) {
		snprintf(error, size, "resolver %s: %s", server ? server : "from /etc/resolv.conf",
		         ub_strerror(status));
		return -1;
	}
	if (trust_anchor_file && (status = ub_ctx_add_ta_file(context, trust_anchor_file)) != 0) {
		snprintf(error, size, "trust anchor \"%s\": %s", trust_anchor_file, ub_strerror(status));
		return -1;
	}
	return 0;
}

struct resolver *resolver_create(struct event_base *base, const char *server, const char *trust_anchor_file,
                                 char *error, size_t size)
{
	struct resolver *resolver = xcalloc(1, sizeof *resolver);

	resolver->base = base;
	resolver->context = ub_ctx_create();
	if (resolver->context == NULL) {
		snprintf(error, size, "cannot create a libunbound context");
		goto fail;
	}
	if (configure(resolver->context, server, trust_anchor_file, error, size) < 0)
		goto fail;
	resolver->readable = event_new(base, ub_fd(resolver->context), EV_READ | EV_PERSIST, on_readable, resolver);
	if (resolver->readable == NULL || event_add(resolver->readable, NULL) < 0) {
		snprintf(error, size, "cannot watch the libunbound descriptor");
		goto fail;
	}
	return resolver;
fail:
	if (resolver->readable)
		event_free(resolver->readable);
	if (resolver->context)
		ub_ctx_delete(resolver->context);
	free(resolver);
	return NULL;
}

void resolver_free(struct resolver *resolver)
{
	if (resolver == NULL)
		return;
	if (resolver->processing) {
		/* A callback is freeing us: ub_process still runs on the context; finish after it. */
		resolver->freeing = true;
		return;
	}
	resolver_destroy(resolver);
}

struct event_base *resolver_base(const struct resolver *resolver) { return resolver->base; }

struct later {
	void (*callback)(void *context);
	void *context;
};

static void on_later(evutil_socket_t fd, short events, void *argument)
{
	struct later later = *(struct later *)argument;

	free(argument);
	later.callback(later.context);
}

void resolver_later(struct resolver *resolver, void (*callback)(void *context), void *context)
{
	static const struct timeval now = {0, 0};
	struct later *later = xmalloc(sizeof *later);

	*later = (struct later){callback, context};
	if (event_base_once(resolver->base, -1, EV_TIMEOUT, on_later, later, &now) < 0)
		abort();
}

static void fail_later(struct query *query, const char *why)
{
	static const struct timeval now = {0, 0};

	snprintf(query->why, sizeof query->why, "%s", why);
	event_add(query->timer, &now);
}

void resolver_query(struct resolver *resolver, const char *name, enum dns_type type, resolver_callback callback,
                    void *context)
{
	struct query *query = xcalloc(1, sizeof *query);
	static const struct timeval deadline = {RESOLVER_DEADLINE_SECONDS, 0};
	char why[128];
	int status;

	query->resolver = resolver;
	query->callback = callback;
	query->context = context;
	query->type = type;
	snprintf(query->name, sizeof query->name, "%s", name);
	query->timer = evtimer_new(resolver->base, on_timer, query);
	query_link(resolver, query);
	if (resolver->freeing)
		return; /* will never answer: freed as soon as ub_process returns */
	if (strlen(name) > DNS_NAME_MAX) {
		fail_later(query, "name too long (RFC 1035 section 2.3.4)");
		return;
	}
	status = ub_resolve_async(resolver->context, name, (int)type, 1, query, on_result, &query->async_id);
	if (status != 0) {
		snprintf(why, sizeof why, "resolver error: %s", ub_strerror(status));
		fail_later(query, why);
		return;
	}
	query->in_unbound = true;
	event_add(query->timer, &deadline);
}

void resolver_cancel(struct resolver *resolver, const void *context)
{
	for (struct query *query = resolver->queries; query; query = query->next)
		if (query->context == context)
			query->callback = NULL;
}

unsigned resolver_pending(const struct resolver *resolver) { return resolver->pending; }
