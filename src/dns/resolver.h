/* resolver: asynchronous DNS lookups over libunbound, driven by the libevent loop (the
 * context's file descriptor is watched; answers arrive as callbacks on the loop thread).
 * Answers are parsed into plain records; DNSSEC status is reported (DANE needs it). */
#ifndef TERN_RESOLVER_H
#define TERN_RESOLVER_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX 255 /* RFC 1035 §2.3.4 */

/* Record types tern asks for (RFC 1035 §3.2.2, RFC 3596, RFC 6698). */
enum dns_type { DNS_A = 1, DNS_PTR = 12, DNS_MX = 15, DNS_TXT = 16, DNS_AAAA = 28, DNS_TLSA = 52 };

enum dns_status {
	DNS_OK,        /* records found */
	DNS_NODATA,    /* the name exists, no records of that type */
	DNS_NXDOMAIN,  /* the name does not exist */
	DNS_TEMPFAIL,  /* SERVFAIL, timeout, network: try again later, never a permanent verdict */
	DNS_BOGUS      /* DNSSEC validation failed: treat as TEMPFAIL, and say so */
};

struct dns_record {
	enum dns_type type;
	uint16_t preference;          /* MX */
	char name[DNS_NAME_MAX + 1];  /* MX exchange, PTR target: lower case, no trailing dot ("" for ".") */
	unsigned char address[16];    /* A (4 bytes used) or AAAA (16) */
	char *text;                   /* TXT: the strings concatenated (RFC 7208 §3.3), NUL-terminated; owned */
	size_t text_length;
	unsigned char *data;          /* TLSA: raw rdata; owned */
	size_t data_length;
};

struct dns_answer {
	enum dns_status status;
	bool secure;        /* DNSSEC-validated (only with a trust anchor configured) */
	char canonical[DNS_NAME_MAX + 1]; /* the name after CNAMEs, or "" when it is the question */
	size_t count;
	struct dns_record *records; /* owned by the answer */
	char why[128];      /* for TEMPFAIL/BOGUS: what went wrong, in words */
};

struct resolver;

/* Creates a resolver. server: "ADDRESS" or "ADDRESS:PORT" (IPv6 as "[::1]:53") of a
 * recursive server to forward to, or NULL for /etc/resolv.conf. trust_anchor_file: a DNSSEC
 * root key file (Debian: /usr/share/dns/root.key) to validate, or NULL not to. Returns NULL
 * and writes why into error (size bytes) on failure. */
struct resolver *resolver_create(struct event_base *base, const char *server, const char *trust_anchor_file,
                                 char *error, size_t size);
/* Cancels outstanding queries (their callbacks never run) and frees. NULL is a no-op. Safe
 * inside one of its own callbacks (the memory goes once libunbound's processing returns). */
void resolver_free(struct resolver *resolver);

/* The answer is valid only during the callback. */
typedef void (*resolver_callback)(void *context, const struct dns_answer *answer);

/* Looks up name (absolute; a trailing dot is optional) for type; callback runs later on the
 * loop thread, exactly once (also on failure), unless the resolver is freed first. No answer
 * within 10 seconds is a TEMPFAIL (RESOLVER_DEADLINE_SECONDS in resolver.c). */
void resolver_query(struct resolver *resolver, const char *name, enum dns_type type, resolver_callback callback,
                    void *context);

/* Forgets every query in flight whose context is context: their callbacks never run (the
 * queries still end inside the resolver, which frees them). Lets a caller that asked several
 * questions with one context free that context at once (spf_cancel does). */
void resolver_cancel(struct resolver *resolver, const void *context);

/* Queries in flight. */
unsigned resolver_pending(const struct resolver *resolver);

/* The loop the resolver runs on, for callers that must defer a callback of their own to it
 * (route_lookup answers an address literal without a query, but still later, on the loop). */
struct event_base *resolver_base(const struct resolver *resolver);

/* Calls callback(context) on the resolver's loop on its next turn: for callers that promise an
 * answer "later, on the loop" and find they need no query (an address literal, no key name,
 * no domain to ask). Allocation failure aborts (house rule 8). */
void resolver_later(struct resolver *resolver, void (*callback)(void *context), void *context);

#endif
