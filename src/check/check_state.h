/* check_state: what every part of `tern check` shares: one libevent loop, one resolver, one list of
 * findings, the options, and a count of work in flight. Each part (MX, SMTP probes, MTA-STS,
 * the sending IP, SPF, DMARC, DKIM keys, --self) starts its lookups and probes on the loop,
 * holds the check while they run, adds findings as answers come, and releases it; the loop
 * ends when nothing is held. All of it runs concurrently, each wait with its own timeout. */
#ifndef TERN_CHECK_STATE_H
#define TERN_CHECK_STATE_H

#include <event2/event.h>
#include <openssl/ssl.h>
#include <stdbool.h>

#include "check/findings.h"
#include "dns/resolver.h"

#define CHECK_CONNECT_TIMEOUT 10 /* seconds for a TCP connect to port 25 */
#define CHECK_COMMAND_TIMEOUT 15 /* seconds for each SMTP reply and the TLS handshake */
#define CHECK_FETCH_TIMEOUT   15 /* seconds for the MTA-STS policy fetch (RFC 8461 §3.3: "short") */

struct check_options {
	const char *resolver;     /* "ADDR[:PORT]" or NULL for /etc/resolv.conf */
	const char *trust_anchor; /* DNSSEC root key file, or NULL: no validation (nothing is secure) */
	const char *ca_file;      /* trust anchors for SMTP certificates and HTTPS, or NULL for the system's */
	const char *helo_name;    /* our EHLO name in probes; the HELO name to judge with --ip */
	unsigned port;            /* SMTP port to probe (25; tests and odd setups may say otherwise) */
	unsigned https_port;      /* MTA-STS policy port (443) */
	bool no_probe;            /* DNS only: no SMTP connections */
	bool explain;             /* --ip: say why inbound SMTP is not required of a sending IP */
	const char **dnsbl_zones; /* NULL-terminated */
	const char **selectors;   /* DKIM selectors to check (--selector), NULL-terminated, or NULL */
};

struct check_state {
	struct event_base *base;
	struct resolver *resolver;
	SSL_CTX *tls;             /* client context for the probes, trusting ca_file */
	struct workpool *workers; /* for blocking work (the HTTPS fetch); made on first use */
	struct findings findings;
	const struct check_options *options;
	unsigned held;
};

/* Sets up the loop, the resolver and the TLS context for a check of target. Returns 0, or -1
 * with why in error (size bytes). check_finish frees what it made. */
int check_state_init(struct check_state *check, const char *target, const struct check_options *options, char *error,
                     size_t size);
void check_state_finish(struct check_state *check);

/* The worker pool for blocking jobs whose completions run on the loop (check_finish frees it). */
struct workpool *check_state_workers(struct check_state *check);

/* Runs the loop until nothing is held. */
void check_state_run(struct check_state *check);

/* Work in flight: hold before starting it, release when its last callback ran. */
void check_state_hold(struct check_state *check);
void check_state_release(struct check_state *check);

#endif
