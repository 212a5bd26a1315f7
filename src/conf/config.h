/* config: reads ternd's configuration file into an immutable struct config.
 * Grammar (one statement per line, '#' comments, "quoted strings", blocks in braces):
 *   hostname NAME
 *   spool PATH
 *   user NAME                    (started as root: run as this system user once bound)
 *   listen ADDRESS:PORT smtp|submission|submissions     (IPv6 as [::1]:25)
 *   tls cert PATH key PATH       (repeatable: several certificates, chosen by SNI; the first
 *                                 is the default. Needed by submission and submissions.)
 *   local-socket PATH            (where `tern sendmail` submits; mode 0666)
 *   control-socket PATH          (where `tern queue` talks to ternd; mode 0600)
 *   trusted CIDR...                                      (clients that may relay)
 *   max-message-size SIZE        (bytes, or with K/M/G suffix; default 25M)
 *   max-recipients N             (per message; default 100)
 *   max-connections N            (in total; default 1000)
 *   max-connections-per-ip N     (default 20)
 *   max-outbound-connections N   (to other servers at once, in total; default 64)
 *   max-outbound-connections-per-domain N  (to one destination domain or relay; default 20)
 *   command-timeout DURATION     (s/m/h suffix; default 5m, RFC 5321 §4.5.3.2.7)
 *   data-timeout DURATION        (default 10m)
 *   greeting-delay DURATION      (default 0: greet at once; else refuse early talkers)
 *   retry-interval DURATION      (first retry of a deferred delivery; default 5m, then doubling)
 *   retry-max DURATION           (the retry interval stops doubling here; default 1h)
 *   max-queue-lifetime DURATION  (then undelivered mail bounces; default 5d; d suffix allowed)
 *   delay-warning DURATION       (tell the sender once when mail waits this long; default 0: off)
 *   resolver ADDRESS[:PORT]      (DNS server to ask; default: /etc/resolv.conf)
 *   dnssec on|off                (validate answers with the root key of package dns-root-data)
 *   spf mark|reject              (inbound: always an Authentication-Results header; reject:
 *                                 also refuse an SPF fail at MAIL FROM with 550 5.7.23)
 *   dmarc mark|enforce           (enforce: honour p=reject with 550 5.7.1 and p=quarantine with
 *                                 delivery to the Junk folder; default mark)
 *   source-address ADDRESS       (the local address outbound connections come from)
 *   relay smtps://HOST[:PORT]|smtp://HOST[:PORT] [auth FILE] [ca FILE] [for DOMAIN...|fallback]
 *                                (a smarthost: for all outbound mail, for those domains, or
 *                                 only while outbound port 25 looks blocked)
 *   domain NAME { users PATH  aliases PATH  deliver maildir TEMPLATE  [dkim selector S key FILE]... }
 * Relative paths are relative to the directory of the config file. In the maildir template
 * %u is the user name and %d the domain. Users files hold "name:crypt-hash" lines; aliases
 * files follow aliases(5). Errors are reported as "FILE:LINE: message" lines. */
#ifndef TERN_CONFIG_H
#define TERN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "util/buffer.h"

enum listener_role {
	LISTENER_SMTP,        /* port 25: MX, STARTTLS optional */
	LISTENER_SUBMISSION,  /* port 587: STARTTLS then AUTH required */
	LISTENER_SUBMISSIONS, /* port 465: implicit TLS, AUTH required */
	LISTENER_LOCAL        /* the local socket of `tern sendmail`: local users, trusted */
};

struct config_relay {
	char *host;        /* owned */
	unsigned port;     /* 465 for smtps://, 587 for smtp:// unless given */
	bool implicit_tls; /* smtps:// (RFC 8314); else STARTTLS, required */
	char *user;        /* AUTH credentials, or NULL; owned */
	char *password;    /* owned; wiped when freed */
	char *ca_file;     /* trust these CAs for the relay's certificate, or NULL: the system's */
	bool fallback;     /* used only while outbound port 25 looks blocked */
	char **domains;    /* only for these destination domains; none: for every domain */
	size_t domain_count;
};

struct config_certificate {
	char *certificate; /* PEM file with the certificate chain, absolute; owned */
	char *key;         /* PEM file with the private key, absolute; owned */
};

struct config_listener {
	char *text; /* as written, e.g. "127.0.0.1:2525"; owned */
	struct sockaddr_storage address;
	socklen_t address_length;
	enum listener_role role;
};

struct config_network {
	int family;                   /* AF_INET or AF_INET6 */
	unsigned char address[16];    /* network address, host bits zero */
	unsigned prefix_length;       /* 0..32 or 0..128 */
};

struct config_user {
	char *name; /* lower case; owned */
	char *hash; /* crypt(3) hash; owned; may be "" (no password login) */
};

struct config_alias {
	char *name;           /* lower-case local part; owned */
	char **targets;       /* each a local name or a full address; owned */
	size_t target_count;
};

struct config_dkim_key {
	char *selector;          /* owned */
	struct evp_pkey_st *key; /* EVP_PKEY, RSA >= 1024 bits or Ed25519; owned */
};

struct config_domain {
	char *name;              /* lower case; owned */
	char *maildir_template;  /* absolute; owned */
	struct config_dkim_key *dkim_keys; /* sign mail from this domain with each (dual signing) */
	size_t dkim_key_count;
	struct config_user *users;
	size_t user_count;
	struct config_alias *aliases;
	size_t alias_count;
};

#define CONFIG_OUTBOUND_CONNECTIONS_MAX 10000 /* ours: each is a socket and a delivery in flight */

struct config {
	char *path;              /* the file it came from; owned */
	char *hostname;
	char *spool_directory;   /* absolute */
	char *user;              /* system user to run as after binding, or NULL */
	struct config_listener *listeners;
	size_t listener_count;
	struct config_certificate *certificates;
	size_t certificate_count;
	char *local_socket;      /* absolute path, or NULL for none */
	char *control_socket;    /* absolute path, or NULL for none */
	struct config_network *trusted;
	size_t trusted_count;
	struct config_domain *domains;
	size_t domain_count;
	size_t max_message_size;
	unsigned max_recipients;
	unsigned max_connections;
	unsigned max_connections_per_ip;
	unsigned max_outbound_connections;            /* at most CONFIG_OUTBOUND_CONNECTIONS_MAX */
	unsigned max_outbound_connections_per_domain; /* at most max_outbound_connections */
	unsigned command_timeout;  /* seconds */
	unsigned data_timeout;     /* seconds */
	unsigned greeting_delay;   /* seconds before the 220; a client talking first is refused */
	unsigned retry_interval;   /* seconds */
	unsigned retry_max;        /* seconds */
	unsigned max_queue_lifetime; /* seconds */
	unsigned delay_warning;    /* seconds; 0: no delay warnings */
	char *resolver;            /* "ADDRESS[:PORT]", or NULL for the system's */
	bool dnssec;               /* validate with the root trust anchor */
	bool spf_reject;           /* refuse SPF fail at MAIL FROM (else only mark) */
	bool dmarc_enforce;        /* apply the sender domain's DMARC p= (else only mark) */
	struct sockaddr_storage source_address; /* outbound source; ss_family 0: the kernel chooses */
	socklen_t source_length;
	struct config_relay *relays;
	size_t relay_count;
};

/* Loads and validates the file at path, including the users and aliases files it names.
 * On success returns a config owned by the caller. On failure returns NULL and appends one
 * "FILE:LINE: message\n" line per problem to errors. */
struct config *config_load(const char *path, struct buffer *errors);
void config_free(struct config *config);

/* The local domain with this name (ASCII case-insensitive), or NULL. */
const struct config_domain *config_find_domain(const struct config *config, struct slice name);
/* The user with this name (case-insensitive) in domain, or NULL. */
const struct config_user *config_find_user(const struct config_domain *domain, struct slice name);
/* The alias with this name (case-insensitive) in domain, or NULL. */
const struct config_alias *config_find_alias(const struct config_domain *domain, struct slice name);
/* The user a login name means: "user@domain", or a bare "user" that exactly one local domain
 * has. Fills mailbox with "user@domain". NULL when unknown or ambiguous. */
const struct config_user *config_find_login(const struct config *config, const char *name, char *mailbox,
                                            size_t size);
/* The relay that mail for domain goes through (one naming the domain, else the default), or
 * NULL for direct delivery. */
const struct config_relay *config_find_relay(const struct config *config, const char *domain);
/* The fallback relay, or NULL. */
const struct config_relay *config_find_fallback_relay(const struct config *config);
/* Whether a client address lies in one of the trusted networks. */
bool config_is_trusted(const struct config *config, const struct sockaddr *address);

#endif
