/* remote_delivery: outbound delivery of one message's remote recipients, grouped by domain
 * (one route and one SMTP transaction per domain, all domains at once). Hosts and addresses
 * are tried in the route's order (RFC 5321 §5.1) until a server answers the transaction; a
 * 5xx for a recipient fails it, a 4xx or no answer leaves it pending (RFC 5321 §4.2.1), and
 * DNS trouble never fails anything. Opportunistic STARTTLS that breaks is retried in clear
 * (RFC 7435 §3). A connection is asked to stay open after the transaction and offered to the
 * next message for the same server (connection_cache.c, RFC 5321 §3.3); one taken from there
 * that turns out closed is replaced by a new connection to the same address. Storing the
 * outcome is the caller's job. */
#include "deliver/remote_delivery.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver/connection_cache.h"
#include "deliver/route.h"
#include "net/tls_client.h"
#include "smtp/client_session.h"
#include "util/log.h"
#include "util/xalloc.h"

#define REMOTE_CONNECT_TIMEOUT 30 /* seconds; RFC 5321 §4.5.3.2 leaves connect time to us */

struct remote_run;

struct domain_attempt {
	struct remote_run *run;
	char domain[DNS_NAME_MAX + 1];
	size_t *indexes; /* envelope recipients bound for this domain */
	struct client_recipient *recipients;
	size_t count;
	struct client_message message;
	struct client_request request;
	struct route *route;
	size_t host, address; /* the next address to try */
	bool plaintext_now;   /* opportunistic TLS just failed at this address: try it in clear */
	const struct config_relay *smarthost; /* the relay this domain goes through, or NULL */
	SSL_CTX *smarthost_tls; /* a context trusting the relay's own CA file, when it names one */
	bool reached;         /* some server answered (port 25 works, for a direct attempt) */
	bool holding_slot;    /* holds one of the destination's connection slots */
	char destination[DNS_NAME_MAX + 1]; /* what connection limits count: the domain, or the relay */
	struct client_session *session;     /* the connection in use, until its done */
	unsigned uses;        /* messages over that connection, this one included */
	bool new_connection;  /* a kept connection to this address was lost: open a new one */
	char key[DNS_NAME_MAX * 2 + 512]; /* the server and how we talk to it (connection_cache.h) */
	char relay[DNS_NAME_MAX + 64];
	char last_error[1400];
};

struct remote_run {
	const struct delivery_services *services;
	const struct config *config;
	struct envelope *envelope;
	struct slice message;
	void (*done)(void *);
	void *context;
	struct domain_attempt *domains;
	size_t domain_count;
	size_t domains_left;
};

static void try_next_address(struct domain_attempt *attempt);

/* "5.1.1" from "550 5.1.1 text", else the class from the basic code ("5.0.0"). */
static void status_of(const char *reply, char status[16])
{
	int a, b, c, used = 0;

	if (sscanf(reply, "%*3d %1d.%3d.%3d%n", &a, &b, &c, &used) == 3 && used > 0)
		snprintf(status, 16, "%d.%d.%d", a, b, c);
	else
		snprintf(status, 16, "%c.0.0", reply[0] >= '2' && reply[0] <= '5' ? reply[0] : '4');
}

static void log_recipient(const struct domain_attempt *attempt, const struct envelope_recipient *recipient,
                          const char *verdict, const char *reply, const char *tls)
{
	char status[16];

	status_of(reply, status);
	log_info("%s to=<%s> relay=%s delay=%lld tls=%s dsn=%s status=%s (%s)", attempt->run->envelope->id,
	         recipient->address, attempt->relay[0] ? attempt->relay : "none",
	         (long long)(time(NULL) - attempt->run->envelope->created), tls && tls[0] ? tls : "none", status,
	         verdict, reply);
}

/* Adds "TIME RELAY tls=... said: REPLY" to the recipient's history (tern queue show). */
static void note_attempt(const struct domain_attempt *attempt, struct envelope_recipient *recipient,
                         const char *reply, const char *tls)
{
	char *text = xasprintf("%s%s tls=%s%s: %s", attempt->relay[0] ? attempt->relay : "-",
	                 attempt->smarthost ? " (relay)" : "", tls && tls[0] ? tls : "none",
	                 attempt->relay[0] ? " said" : "", reply);
	envelope_note_attempt(recipient, time(NULL), text);
	free(text);
}

/* Records one recipient's outcome. reply: the server's reply (or ours), "CODE X.Y.Z text". */
static void settle(struct domain_attempt *attempt, size_t which, bool delivered, const char *reply, const char *tls)
{
	struct envelope_recipient *recipient = &attempt->run->envelope->recipients[attempt->indexes[which]];
	bool permanent = reply[0] == '5';

	recipient->attempts++;
	note_attempt(attempt, recipient, reply, tls);
	free(recipient->last_error);
	recipient->last_error = NULL;
	if (delivered) {
		recipient->state = RECIPIENT_DELIVERED;
		log_recipient(attempt, recipient, "sent", reply, tls);
		return;
	}
	recipient->last_error = attempt->relay[0] ? xasprintf("%s said: %s", attempt->relay, reply) : xstrdup(reply);
	recipient->state = permanent ? RECIPIENT_FAILED : RECIPIENT_PENDING;
	log_recipient(attempt, recipient, permanent ? "bounced" : "deferred", reply, tls);
}

static void settle_all(struct domain_attempt *attempt, const char *reply)
{
	for (size_t i = 0; i < attempt->count; i++)
		settle(attempt, i, false, reply, NULL);
}

static void finish_domain(struct domain_attempt *attempt)
{
	struct remote_run *run = attempt->run;

	if (attempt->holding_slot) {
		attempt->holding_slot = false;
		destination_limits_release(run->services->limits, attempt->destination);
	}

	if (--run->domains_left > 0)
		return;
	for (size_t i = 0; i < run->domain_count; i++) {
		free(run->domains[i].indexes);
		free(run->domains[i].recipients);
		free(run->domains[i].route);
		SSL_CTX_free(run->domains[i].smarthost_tls);
	}
	free(run->domains);
	run->done(run->context);
	free(run);
}

static void describe_relay(struct domain_attempt *attempt, const struct route_host *host, size_t index)
{
	char text[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr *address = (const struct sockaddr *)&host->addresses[index];
	unsigned port;

	if (address->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)address)->sin6_addr, text, sizeof text);
		port = ntohs(((const struct sockaddr_in6 *)address)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)address)->sin_addr, text, sizeof text);
		port = ntohs(((const struct sockaddr_in *)address)->sin_port);
	}
	snprintf(attempt->relay, sizeof attempt->relay, "%s[%s]:%u", host->name[0] ? host->name : attempt->domain,
	         text, port);
}

/* A kept connection that the server had given up on: it closed it (no reply at all), or said
 * 421 to every recipient (RFC 5321 §3.8: closing, e.g. its idle timeout). Nothing was
 * delivered, so the same address is worth a new connection at once. */
static bool kept_connection_was_gone(const struct domain_attempt *attempt, const struct client_result *result)
{
	if (attempt->uses < 2 || result->reusable)
		return false;
	if (result->outcome == CLIENT_PROTOCOL_FAILED)
		return result->reply.code == 0 && strcmp(result->stage, "mail") == 0;
	if (result->outcome != CLIENT_DONE)
		return false;
	for (size_t i = 0; i < attempt->count; i++)
		if (attempt->recipients[i].delivered || attempt->recipients[i].reply.code != 421)
			return false;
	return true;
}

static void on_client_done(void *context, const struct client_result *result)
{
	struct domain_attempt *attempt = context;
	struct client_session *session = attempt->session;

	attempt->session = NULL; /* gone, unless reusable: then ours until offered */
	if (result->outcome != CLIENT_CONNECT_FAILED && !attempt->reached) {
		attempt->reached = true;
		if (attempt->smarthost == NULL)
			port25_watch_reachable(attempt->run->services->port25, time(NULL));
	}

	if (kept_connection_was_gone(attempt, result)) {
		log_info("%s kept connection to %s was closed; connecting again", attempt->run->envelope->id,
		         attempt->relay);
		attempt->new_connection = true;
		attempt->address--;
		try_next_address(attempt);
		return;
	}
	switch (result->outcome) {
	case CLIENT_DONE: {
		bool delivered_any = false;
		for (size_t i = 0; i < attempt->count; i++) {
			const struct client_reply *reply = &attempt->recipients[i].reply;
			delivered_any |= attempt->recipients[i].delivered;
			settle(attempt, i, attempt->recipients[i].delivered,
			       reply->code ? reply->text : "451 4.4.2 no reply from the server", result->tls);
		}
		if (delivered_any) /* slow start: the destination takes one more connection */
			destination_limits_success(attempt->run->services->limits, attempt->destination);
		if (result->reusable) { /* its slot goes with it */
			attempt->holding_slot = false;
			connection_cache_offer(attempt->run->services->connections, attempt->destination, attempt->key,
			                       session, attempt->uses);
		}
		finish_domain(attempt);
		return;
	}
	case CLIENT_TLS_FAILED:
		snprintf(attempt->last_error, sizeof attempt->last_error, "451 4.7.5 %s: TLS failed at %s: %s",
		         attempt->relay, result->stage, result->reply.text);
		if (attempt->smarthost == NULL && attempt->request.tls_context != NULL) {
			attempt->plaintext_now = true; /* RFC 7435 §3: opportunistic means clear is fine */
			attempt->address--;
		}
		break;
	case CLIENT_CONNECT_FAILED:
		snprintf(attempt->last_error, sizeof attempt->last_error, "451 4.4.1 connect to %s: %s", attempt->relay,
		         result->reply.text[0] ? result->reply.text : "failed");
		break;
	case CLIENT_PROTOCOL_FAILED:
		/* A refusal of the connection, of our EHLO or of our login says nothing about the
		 * recipients (a smarthost rejecting our password is our problem): always temporary. */
		snprintf(attempt->last_error, sizeof attempt->last_error, "451 4.4.2 %s: %s (at %s)", attempt->relay,
		         result->reply.text[0] ? result->reply.text : "connection lost", result->stage);
		/* Past DATA the server may have the message: retrying elsewhere now could deliver it
		 * twice, so the recipients wait for the next attempt instead. */
		if (strcmp(result->stage, "data") == 0 || strcmp(result->stage, "quit") == 0) {
			settle_all(attempt, attempt->last_error);
			finish_domain(attempt);
			return;
		}
		break;
	}
	try_next_address(attempt);
}

/* Talks to the address chosen by try_next_address: over connection (kept after uses messages)
 * or a new one. The attempt holds a slot. */
static void connect_or_continue(struct domain_attempt *attempt, struct client_session *connection, unsigned uses)
{
	if (attempt->plaintext_now)
		log_info("%s retrying %s without TLS", attempt->run->envelope->id, attempt->relay);
	attempt->plaintext_now = false;
	attempt->new_connection = false;
	attempt->address++;
	if (connection != NULL) {
		attempt->uses = uses + 1;
		log_info("%s reusing connection to %s (message %u over it)", attempt->run->envelope->id, attempt->relay,
		         attempt->uses);
		attempt->session = connection;
		client_session_continue(connection, &attempt->request, on_client_done, attempt);
		return;
	}
	attempt->uses = 1;
	attempt->session = client_session_start(attempt->run->services->base, &attempt->request, on_client_done, attempt);
}

/* A slot was freed and handed to this attempt, maybe with a connection to its server. */
static void resume_with_slot(void *context, void *connection, unsigned uses)
{
	struct domain_attempt *attempt = context;

	attempt->holding_slot = true;
	if (connection != NULL)
		connect_or_continue(attempt, connection, uses);
	else
		try_next_address(attempt);
}

/* The server and everything that shapes the talk with it: only a connection made for the same
 * key may carry this message (same route, address, TLS policy and trust, login, EHLO name). */
static void make_key(struct domain_attempt *attempt)
{
	const struct client_request *request = &attempt->request;
	const struct config_relay *relay = attempt->smarthost;
	const char *tls = request->tls_context == NULL        ? "clear"
	                  : request->tls == CLIENT_TLS_IMPLICIT ? "implicit"
	                  : request->tls == CLIENT_TLS_REQUIRED ? "required"
	                                                        : "opportunistic";

	snprintf(attempt->key, sizeof attempt->key, "%s %s %s tls=%s ca=%s auth=%s helo=%s", attempt->destination,
	         request->host_name, attempt->relay, tls, relay && relay->ca_file ? relay->ca_file : "-",
	         request->auth_user ? request->auth_user : "-", request->helo_name);
}

static void try_next_address(struct domain_attempt *attempt)
{
	const struct delivery_services *services = attempt->run->services;
	const struct route *route = attempt->route;
	const struct route_host *host;
	struct client_session *kept;
	unsigned uses = 0;

	while (attempt->host < route->host_count && attempt->address >= route->hosts[attempt->host].address_count) {
		attempt->host++;
		attempt->address = 0;
	}
	if (attempt->host >= route->host_count) { /* every address tried: wait for the next attempt */
		if (!attempt->reached && attempt->smarthost == NULL)
			port25_watch_unreachable(attempt->run->services->port25, attempt->domain, time(NULL));
		settle_all(attempt, attempt->last_error[0] ? attempt->last_error : "451 4.4.0 no server answered");
		finish_domain(attempt);
		return;
	}
	host = &route->hosts[attempt->host];
	describe_relay(attempt, host, attempt->address);
	attempt->request.address = host->addresses[attempt->address];
	attempt->request.address_length = host->lengths[attempt->address];
	attempt->request.host_name = host->name[0] ? host->name : attempt->domain;
	attempt->request.tls_context = attempt->smarthost_tls        ? attempt->smarthost_tls
	                               : attempt->plaintext_now ? NULL
	                                                        : attempt->run->services->tls_client;
	make_key(attempt);
	if (!attempt->new_connection &&
	    (kept = connection_cache_take(services->connections, attempt->destination, attempt->key, &uses)) != NULL) {
		if (attempt->holding_slot) /* the kept connection brings a slot of its own */
			destination_limits_release(services->limits, attempt->destination);
		attempt->holding_slot = true;
		connect_or_continue(attempt, kept, uses);
		return;
	}
	if (!attempt->holding_slot &&
	    !destination_limits_acquire(services->limits, attempt->destination, attempt->key, resume_with_slot, attempt)) {
		connection_cache_make_room(services->connections, attempt->destination);
		return; /* resume_with_slot comes back once a slot (or a connection) is free */
	}
	attempt->holding_slot = true;
	connect_or_continue(attempt, NULL, 0);
}

static void on_route(void *context, const struct route *route)
{
	struct domain_attempt *attempt = context;
	char reply[700];

	switch (route->status) {
	case ROUTE_NULL_MX: /* RFC 7505 §3 */
		snprintf(reply, sizeof reply, "556 5.1.10 %s does not accept mail (null MX)", attempt->domain);
		settle_all(attempt, reply);
		break;
	case ROUTE_NO_HOST:
		snprintf(reply, sizeof reply, "550 5.1.2 %s: %s", attempt->domain, route->why[0] ? route->why : "no such domain");
		settle_all(attempt, reply);
		break;
	case ROUTE_TEMPFAIL: /* DNS trouble is never permanent */
		snprintf(reply, sizeof reply, "451 4.4.3 %s: DNS: %s", attempt->domain, route->why);
		settle_all(attempt, reply);
		break;
	case ROUTE_OK:
		attempt->route = xmalloc(sizeof *attempt->route);
		*attempt->route = *route;
		try_next_address(attempt);
		return;
	}
	finish_domain(attempt);
}

static const char *domain_of(const char *address)
{
	const char *at = strrchr(address, '@');
	return at ? at + 1 : "";
}

/* Groups pending remote recipients by domain (ASCII case-insensitive). */
static void group_by_domain(struct remote_run *run)
{
	struct envelope *envelope = run->envelope;

	for (size_t i = 0; i < envelope->recipient_count; i++) {
		const struct envelope_recipient *recipient = &envelope->recipients[i];
		struct domain_attempt *attempt = NULL;

		if (recipient->state != RECIPIENT_PENDING || recipient->mailbox != NULL)
			continue;
		for (size_t d = 0; d < run->domain_count && attempt == NULL; d++)
			if (strcasecmp(run->domains[d].domain, domain_of(recipient->address)) == 0)
				attempt = &run->domains[d];
		if (attempt == NULL) {
			run->domains = xrealloc(run->domains, (run->domain_count + 1) * sizeof *run->domains);
			attempt = &run->domains[run->domain_count++];
			memset(attempt, 0, sizeof *attempt);
			snprintf(attempt->domain, sizeof attempt->domain, "%s", domain_of(recipient->address));
		}
		attempt->indexes = xrealloc(attempt->indexes, (attempt->count + 1) * sizeof *attempt->indexes);
		attempt->indexes[attempt->count++] = i;
	}
}

/* A smarthost: TLS required and its certificate verified (RFC 8314 §3 for 465, RFC 3207 with
 * a required policy for 587), AUTH with the configured credentials. */
static void prepare_relay(struct domain_attempt *attempt)
{
	const struct config_relay *relay = attempt->smarthost;
	char error[256];

	attempt->request.tls = relay->implicit_tls ? CLIENT_TLS_IMPLICIT : CLIENT_TLS_REQUIRED;
	attempt->request.auth_user = relay->user;
	attempt->request.auth_password = relay->password;
	if (relay->ca_file != NULL && (attempt->smarthost_tls = tls_client_context_create(relay->ca_file, error, sizeof error)) == NULL)
		log_error("%s relay %s: %s", attempt->run->envelope->id, relay->host, error);
}

static void prepare(struct remote_run *run, struct domain_attempt *attempt)
{
	attempt->run = run;
	attempt->recipients = xcalloc(attempt->count, sizeof *attempt->recipients);
	for (size_t i = 0; i < attempt->count; i++)
		attempt->recipients[i].address = run->envelope->recipients[attempt->indexes[i]].address;
	attempt->message = (struct client_message){.sender = run->envelope->sender,
	                                           .content = run->message,
	                                           .eightbit = run->envelope->eightbit,
	                                           .smtputf8 = run->envelope->smtputf8,
	                                           .recipients = attempt->recipients,
	                                           .recipient_count = attempt->count};
	attempt->request = (struct client_request){.helo_name = run->config->hostname,
	                                           .source = run->config->source_length
	                                                         ? (const struct sockaddr *)&run->config->source_address
	                                                         : NULL,
	                                           .source_length = run->config->source_length,
	                                           .tls = CLIENT_TLS_OPPORTUNISTIC,
	                                           .connect_timeout = REMOTE_CONNECT_TIMEOUT,
	                                           .message = &attempt->message,
	                                           .keep_open = true};
	attempt->smarthost = config_find_relay(run->config, attempt->domain);
	if (attempt->smarthost == NULL && config_find_fallback_relay(run->config) != NULL &&
	    port25_watch_blocked(run->services->port25, time(NULL)))
		attempt->smarthost = config_find_fallback_relay(run->config);
	if (attempt->smarthost != NULL)
		prepare_relay(attempt);
	snprintf(attempt->destination, sizeof attempt->destination, "%s",
	         attempt->smarthost ? attempt->smarthost->host : attempt->domain);
}

void remote_delivery_run(const struct delivery_services *services, const struct config *config,
                         struct envelope *envelope, struct slice message, void (*done)(void *context), void *context)
{
	struct remote_run *run = xcalloc(1, sizeof *run);

	*run = (struct remote_run){services, config, envelope, message, done, context, NULL, 0, 0};
	group_by_domain(run);
	if (run->domain_count == 0) {
		free(run);
		done(context);
		return;
	}
	for (size_t d = 0; d < run->domain_count; d++)
		prepare(run, &run->domains[d]);
	/* +1: this loop holds the run, so a lookup answered at once cannot free it under us. */
	run->domains_left = run->domain_count + 1;
	for (size_t d = 0; d < run->domain_count; d++) {
		struct domain_attempt *attempt = &run->domains[d];
		if (attempt->smarthost != NULL) /* the relay's own name and port, not the domain's MX */
			route_lookup_host(services->resolver, attempt->smarthost->host, attempt->smarthost->port, on_route,
			                  attempt);
		else
			route_lookup(services->resolver, attempt->domain, services->remote_port, on_route, attempt);
	}
	finish_domain(&run->domains[0]);
}
