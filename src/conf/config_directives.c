/* config_directives: what each directive of the config grammar means: the table of top-level
 * and domain-block directives with their argument counts, and the handlers that check values
 * and store them in the config being built. Repeats of one-time directives are errors.
 * It does not read tokens, track braces or load the users and aliases files: config.c does. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config_internal.h"
#include "conf/config_relay.h"
#include "conf/config_values.h"
#include "conf/users_file.h"
#include "smtp/address.h"
#include "util/log.h"
#include "util/xalloc.h"

#define MANY UINT_MAX

enum value_kind { VALUE_NONE, VALUE_SIZE, VALUE_COUNT, VALUE_DURATION, VALUE_PERIOD };

struct directive {
	const char *name;
	const char *usage;
	unsigned minimum, maximum; /* arguments */
	bool once, block, required;
	void (*handle)(struct config_parser *parser, const struct config_statement *statement);
	enum value_kind kind; /* VALUE_NONE: handle does the work; else handle_value does */
	size_t offset;        /* of the value in struct config */
};

static char *quote(char out[LOG_QUOTED_SIZE], const char *text) { return log_quote(out, text, strlen(text)); }

static char *lower_case(const char *text) { return users_file_lower_case(slice_from_string(text)); }

/* Directive handlers. Each gets a statement whose argument count was checked. */

static void handle_hostname(struct config_parser *parser, const struct config_statement *statement)
{
	char quoted[LOG_QUOTED_SIZE];

	if (!address_domain_is_valid(slice_from_string(statement->words[1]), false))
		config_report(parser, statement->line, "hostname: bad host name %s", quote(quoted, statement->words[1]));
	else
		parser->config->hostname = lower_case(statement->words[1]);
}

static void handle_spool(struct config_parser *parser, const struct config_statement *statement)
{
	if (statement->words[1][0] == '\0') {
		config_report(parser, statement->line, "spool: empty path");
		return;
	}
	free(parser->config->spool_directory);
	parser->config->spool_directory = config_resolve_path(parser, statement->words[1]);
}

static void handle_user(struct config_parser *parser, const struct config_statement *statement)
{
	char quoted[LOG_QUOTED_SIZE];

	/* Checked here so that `ternd -n` finds a typo before a start-up as root does. */
	if (getpwnam(statement->words[1]) == NULL) {
		config_report(parser, statement->line, "user: no such system user %s", quote(quoted, statement->words[1]));
		return;
	}
	parser->config->user = xstrdup(statement->words[1]);
}

static void handle_tls(struct config_parser *parser, const struct config_statement *statement)
{
	struct config *config = parser->config;
	struct config_certificate *certificate;

	if (strcmp(statement->words[1], "cert") != 0 || strcmp(statement->words[3], "key") != 0) {
		config_report(parser, statement->line, "tls: expected: tls cert PATH key PATH");
		return;
	}
	config->certificates =
	    xrealloc(config->certificates, (config->certificate_count + 1) * sizeof *config->certificates);
	certificate = &config->certificates[config->certificate_count++];
	certificate->certificate = config_resolve_path(parser, statement->words[2]);
	certificate->key = config_resolve_path(parser, statement->words[4]);
}

static void handle_dnssec(struct config_parser *parser, const struct config_statement *statement)
{
	if (strcmp(statement->words[1], "on") != 0 && strcmp(statement->words[1], "off") != 0)
		config_report(parser, statement->line, "dnssec: expected on or off");
	parser->config->dnssec = strcmp(statement->words[1], "on") == 0;
}

/* Inbound checks always mark (Authentication-Results); these say whether they also refuse. */
static void handle_spf(struct config_parser *parser, const struct config_statement *statement)
{
	if (strcmp(statement->words[1], "mark") != 0 && strcmp(statement->words[1], "reject") != 0)
		config_report(parser, statement->line, "spf: expected mark or reject");
	parser->config->spf_reject = strcmp(statement->words[1], "reject") == 0;
}

static void handle_dmarc(struct config_parser *parser, const struct config_statement *statement)
{
	if (strcmp(statement->words[1], "mark") != 0 && strcmp(statement->words[1], "enforce") != 0)
		config_report(parser, statement->line, "dmarc: expected mark or enforce");
	parser->config->dmarc_enforce = strcmp(statement->words[1], "enforce") == 0;
}

static void handle_source_address(struct config_parser *parser, const struct config_statement *statement)
{
	struct config *config = parser->config;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&config->source_address;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&config->source_address;

	memset(&config->source_address, 0, sizeof config->source_address);
	if (inet_pton(AF_INET, statement->words[1], &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		config->source_length = sizeof *v4;
	} else if (inet_pton(AF_INET6, statement->words[1], &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		config->source_length = sizeof *v6;
	} else {
		config_report(parser, statement->line, "source-address: not an IP address: \"%s\"", statement->words[1]);
	}
}

static void handle_resolver(struct config_parser *parser, const struct config_statement *statement)
{
	free(parser->config->resolver);
	parser->config->resolver = xstrdup(statement->words[1]);
}

static void handle_control_socket(struct config_parser *parser, const struct config_statement *statement)
{
	free(parser->config->control_socket);
	parser->config->control_socket = config_resolve_path(parser, statement->words[1]);
}

static void handle_local_socket(struct config_parser *parser, const struct config_statement *statement)
{
	free(parser->config->local_socket);
	parser->config->local_socket = config_resolve_path(parser, statement->words[1]);
}

static bool parse_role(const char *text, enum listener_role *role)
{
	static const char *const names[] = {"smtp", "submission", "submissions"};
	static const enum listener_role roles[] = {LISTENER_SMTP, LISTENER_SUBMISSION, LISTENER_SUBMISSIONS};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(text, names[i]) == 0)
			return *role = roles[i], true;
	return false;
}

static unsigned find_listener(const struct config *config, const struct config_listener *listener,
                              const unsigned *lines)
{
	for (size_t i = 0; i < config->listener_count; i++)
		if (config->listeners[i].address_length == listener->address_length &&
		    memcmp(&config->listeners[i].address, &listener->address, listener->address_length) == 0)
			return lines[i];
	return 0;
}

static void handle_listen(struct config_parser *parser, const struct config_statement *statement)
{
	struct config *config = parser->config;
	struct config_listener listener = {0};
	char quoted[LOG_QUOTED_SIZE];
	const char *text = statement->words[1];
	const char *problem = config_values_parse_listen(text, &listener.address, &listener.address_length);
	unsigned first;

	if (problem != NULL) {
		config_report(parser, statement->line, "listen: bad address %s: %s", quote(quoted, text), problem);
		return;
	}
	if (!parse_role(statement->words[2], &listener.role)) {
		config_report(parser, statement->line, "listen: unknown role %s (use smtp, submission or submissions)",
		              quote(quoted, statement->words[2]));
		return;
	}
	if ((first = find_listener(config, &listener, parser->listener_lines)) != 0) {
		config_report(parser, statement->line, "listen: duplicate address %s (first at line %u)",
		              quote(quoted, text), first);
		return;
	}
	listener.text = xstrdup(text);
	config->listeners = xrealloc(config->listeners, (config->listener_count + 1) * sizeof *config->listeners);
	parser->listener_lines = xrealloc(parser->listener_lines, (config->listener_count + 1) * sizeof(unsigned));
	parser->listener_lines[config->listener_count] = statement->line;
	config->listeners[config->listener_count++] = listener;
}

static void add_network(struct config_parser *parser, unsigned line, const char *text)
{
	struct config *config = parser->config;
	struct config_network network;
	char quoted[LOG_QUOTED_SIZE], suggestion[CONFIG_VALUES_NETWORK_TEXT_SIZE];
	bool host_bits_set;
	const char *problem = config_values_parse_network(text, &network, &host_bits_set);

	if (problem != NULL) {
		config_report(parser, line, "trusted: bad network %s: %s", quote(quoted, text), problem);
		return;
	}
	if (host_bits_set) {
		config_values_format_network(&network, suggestion);
		config_report(parser, line, "trusted: %s has host bits set (did you mean %s?)", quote(quoted, text),
		              suggestion);
		return;
	}
	config->trusted = xrealloc(config->trusted, (config->trusted_count + 1) * sizeof *config->trusted);
	config->trusted[config->trusted_count++] = network;
}

static void handle_trusted(struct config_parser *parser, const struct config_statement *statement)
{
	for (size_t i = 1; i < statement->count; i++)
		add_network(parser, statement->line, statement->words[i]);
}

/* The numeric directives: the value goes to the field of struct config at directive->offset. */
static void handle_value(struct config_parser *parser, const struct config_statement *statement,
                         const struct directive *directive)
{
	char *field = (char *)parser->config + directive->offset;
	const char *text = statement->words[1], *problem = NULL;
	char quoted[LOG_QUOTED_SIZE];

	if (directive->kind == VALUE_SIZE)
		problem = config_values_parse_size(text, (size_t *)(void *)field);
	else if (directive->kind == VALUE_COUNT)
		problem = config_values_parse_count(text, (unsigned *)(void *)field);
	else if (directive->kind == VALUE_PERIOD)
		problem = config_values_parse_period(text, (unsigned *)(void *)field);
	else
		problem = config_values_parse_duration(text, (unsigned *)(void *)field);
	if (problem != NULL)
		config_report(parser, statement->line, "%s: bad value %s: %s", directive->name, quote(quoted, text),
		              problem);
}

static unsigned find_domain_line(const struct config_parser *parser, const char *name)
{
	for (size_t i = 0; i < parser->config->domain_count; i++)
		if (strcmp(parser->config->domains[i].name, name) == 0)
			return parser->domain_lines[i];
	return 0;
}

/* Opens the block of "domain NAME {"; a bad name leaves the block open but ignored. */
static void handle_domain(struct config_parser *parser, const struct config_statement *statement)
{
	char quoted[LOG_QUOTED_SIZE];
	char *name = lower_case(statement->words[1]);
	unsigned first = find_domain_line(parser, name);

	if (!address_domain_is_valid(slice_from_string(name), false)) {
		config_report(parser, statement->line, "domain: bad domain name %s", quote(quoted, statement->words[1]));
		free(name);
	} else if (first != 0) {
		config_report(parser, statement->line, "duplicate domain %s (first at line %u)", quote(quoted, name), first);
		free(name);
	} else {
		memset(&parser->pending, 0, sizeof parser->pending);
		parser->pending.domain.name = name;
		parser->pending.line = statement->line;
		parser->in_domain = true;
	}
}

static void handle_users(struct config_parser *parser, const struct config_statement *statement)
{
	parser->pending.users_path = config_resolve_path(parser, statement->words[1]);
}

static void handle_aliases(struct config_parser *parser, const struct config_statement *statement)
{
	parser->pending.aliases_path = config_resolve_path(parser, statement->words[1]);
}

/* Only %u (user) and %d (domain) may follow a '%'; %u must be there, or users would share one. */
static const char *template_problem(const char *template)
{
	bool has_user = false;

	for (const char *p = strchr(template, '%'); p != NULL; p = strchr(p + 2, '%')) {
		if (p[1] != 'u' && p[1] != 'd')
			return "only %u and %d may follow '%'";
		has_user |= p[1] == 'u';
	}
	return has_user ? NULL : "it must contain %u (the user name)";
}

static void handle_deliver(struct config_parser *parser, const struct config_statement *statement)
{
	char quoted[LOG_QUOTED_SIZE];
	const char *problem;

	if (strcmp(statement->words[1], "maildir") != 0)
		config_report(parser, statement->line, "deliver: unknown method %s (only maildir)",
		              quote(quoted, statement->words[1]));
	else if ((problem = template_problem(statement->words[2])) != NULL)
		config_report(parser, statement->line, "deliver: bad maildir template %s: %s",
		              quote(quoted, statement->words[2]), problem);
	else
		parser->pending.domain.maildir_template = config_resolve_path(parser, statement->words[2]);
}

/* dkim selector S key FILE: repeatable, one per key (an RSA and an Ed25519 key: dual signing). */
static void handle_dkim(struct config_parser *parser, const struct config_statement *statement)
{
	struct config_domain *domain = &parser->pending.domain;
	char *path;
	FILE *file;
	EVP_PKEY *key = NULL;

	if (strcmp(statement->words[1], "selector") != 0 || strcmp(statement->words[3], "key") != 0) {
		config_report(parser, statement->line, "dkim: expected: dkim selector SELECTOR key FILE");
		return;
	}
	path = config_resolve_path(parser, statement->words[4]);
	if ((file = fopen(path, "r")) != NULL) {
		key = PEM_read_PrivateKey(file, NULL, NULL, NULL);
		fclose(file);
	}
	if (key == NULL) {
		config_report(parser, statement->line, "dkim: cannot read a private key from %s%s%s", path,
		              file ? "" : ": ", file ? "" : strerror(errno));
		free(path);
		return;
	}
	free(path);
	domain->dkim_keys = xrealloc(domain->dkim_keys, (domain->dkim_key_count + 1) * sizeof *domain->dkim_keys);
	domain->dkim_keys[domain->dkim_key_count].selector = xstrdup(statement->words[2]);
	domain->dkim_keys[domain->dkim_key_count++].key = key;
}

#define VALUE(directive, kind_, field, usage_)                                                                 \
	{.name = directive, .usage = directive " " usage_, .minimum = 1, .maximum = 1, .once = true, .kind = kind_,   \
	 .offset = offsetof(struct config, field)}

static const struct directive top_directives[] = {
	{.name = "hostname", .usage = "hostname NAME", .minimum = 1, .maximum = 1, .once = true, .required = true,
	 .handle = handle_hostname},
	{.name = "spool", .usage = "spool PATH", .minimum = 1, .maximum = 1, .once = true, .handle = handle_spool},
	{.name = "user", .usage = "user NAME", .minimum = 1, .maximum = 1, .once = true, .handle = handle_user},
	{.name = "listen", .usage = "listen ADDRESS:PORT smtp|submission|submissions", .minimum = 2, .maximum = 2,
	 .required = true, .handle = handle_listen},
	{.name = "trusted", .usage = "trusted CIDR...", .minimum = 1, .maximum = MANY, .handle = handle_trusted},
	{.name = "tls", .usage = "tls cert PATH key PATH", .minimum = 4, .maximum = 4, .handle = handle_tls},
	{.name = "local-socket", .usage = "local-socket PATH", .minimum = 1, .maximum = 1, .once = true,
	 .handle = handle_local_socket},
	{.name = "control-socket", .usage = "control-socket PATH", .minimum = 1, .maximum = 1, .once = true,
	 .handle = handle_control_socket},
	VALUE("max-message-size", VALUE_SIZE, max_message_size, "SIZE"),
	VALUE("max-recipients", VALUE_COUNT, max_recipients, "N"),
	VALUE("max-connections", VALUE_COUNT, max_connections, "N"),
	VALUE("max-connections-per-ip", VALUE_COUNT, max_connections_per_ip, "N"),
	VALUE("max-outbound-connections", VALUE_COUNT, max_outbound_connections, "N"),
	VALUE("max-outbound-connections-per-domain", VALUE_COUNT, max_outbound_connections_per_domain, "N"),
	VALUE("command-timeout", VALUE_DURATION, command_timeout, "DURATION"),
	VALUE("data-timeout", VALUE_DURATION, data_timeout, "DURATION"),
	VALUE("greeting-delay", VALUE_PERIOD, greeting_delay, "DURATION"),
	VALUE("retry-interval", VALUE_PERIOD, retry_interval, "DURATION"),
	VALUE("retry-max", VALUE_PERIOD, retry_max, "DURATION"),
	VALUE("max-queue-lifetime", VALUE_PERIOD, max_queue_lifetime, "DURATION"),
	VALUE("delay-warning", VALUE_PERIOD, delay_warning, "DURATION"),
	{.name = "relay", .usage = "relay URL [auth FILE] [ca FILE] [for DOMAIN...]", .minimum = 1, .maximum = MANY,
	 .handle = config_relay_handle},
	{.name = "dnssec", .usage = "dnssec on|off", .minimum = 1, .maximum = 1, .once = true, .handle = handle_dnssec},
	{.name = "spf", .usage = "spf mark|reject", .minimum = 1, .maximum = 1, .once = true, .handle = handle_spf},
	{.name = "dmarc", .usage = "dmarc mark|enforce", .minimum = 1, .maximum = 1, .once = true,
	 .handle = handle_dmarc},
	{.name = "source-address", .usage = "source-address ADDRESS", .minimum = 1, .maximum = 1, .once = true,
	 .handle = handle_source_address},
	{.name = "resolver", .usage = "resolver ADDRESS[:PORT]", .minimum = 1, .maximum = 1, .once = true,
	 .handle = handle_resolver},
	{.name = "domain", .usage = "domain NAME {", .minimum = 1, .maximum = 1, .block = true, .handle = handle_domain},
	{.name = NULL},
};
_Static_assert(sizeof top_directives / sizeof *top_directives <= CONFIG_TOP_DIRECTIVES_MAX, "parser->seen too small");

static const struct directive block_directives[] = {
	{.name = "users", .usage = "users PATH", .minimum = 1, .maximum = 1, .once = true, .handle = handle_users},
	{.name = "aliases", .usage = "aliases PATH", .minimum = 1, .maximum = 1, .once = true, .handle = handle_aliases},
	{.name = "deliver", .usage = "deliver maildir TEMPLATE", .minimum = 2, .maximum = 2, .once = true,
	 .handle = handle_deliver},
	{.name = "dkim", .usage = "dkim selector SELECTOR key FILE", .minimum = 4, .maximum = 4, .handle = handle_dkim},
	{.name = NULL},
};

static const struct directive *find_directive(const struct directive *table, const char *name)
{
	for (; table->name != NULL; table++)
		if (strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

/* Where a one-time directive was first used: parser->seen for top-level ones, the pending
 * domain's line fields for block ones (they also tell finish_domain what the block had). */
static unsigned *seen_slot(struct config_parser *parser, const struct directive *directive)
{
	if (find_directive(top_directives, directive->name) == directive)
		return &parser->seen[directive - top_directives];
	if (strcmp(directive->name, "users") == 0)
		return &parser->pending.users_line;
	return strcmp(directive->name, "aliases") == 0 ? &parser->pending.aliases_line : &parser->pending.deliver_line;
}

/* Checks the argument count and repeats, then applies the directive. */
static void run_directive(struct config_parser *parser, const struct directive *directive,
                          const struct config_statement *statement)
{
	unsigned arguments = (unsigned)statement->count - 1, *seen = seen_slot(parser, directive);

	if (arguments < directive->minimum) {
		config_report(parser, statement->line, "%s: missing argument (usage: %s)", directive->name, directive->usage);
		return;
	}
	if (arguments > directive->maximum) {
		config_report(parser, statement->line, "%s: too many arguments (usage: %s)", directive->name, directive->usage);
		return;
	}
	if (directive->once && *seen != 0) {
		config_report(parser, statement->line, "%s: duplicate directive (first at line %u)", directive->name, *seen);
		return;
	}
	if (directive->once)
		*seen = statement->line;
	if (directive->kind != VALUE_NONE)
		handle_value(parser, statement, directive);
	else
		directive->handle(parser, statement);
}

static void run_in_block(struct config_parser *parser, const struct config_statement *statement)
{
	const char *name = statement->words[0];
	const struct directive *directive = find_directive(block_directives, name);
	char quoted[LOG_QUOTED_SIZE];

	if (directive != NULL)
		run_directive(parser, directive, statement);
	else if (find_directive(top_directives, name) != NULL)
		config_report(parser, statement->line, "%s: not allowed inside a domain block", name);
	else
		config_report(parser, statement->line, "unknown directive %s in domain block", quote(quoted, name));
}

void config_directives_run(struct config_parser *parser, const struct config_statement *statement)
{
	const char *name = statement->words[0];
	const struct directive *directive;
	char quoted[LOG_QUOTED_SIZE];

	if (parser->depth > 0) {
		if (parser->in_domain && parser->depth == 1)
			run_in_block(parser, statement);
		return;
	}
	directive = find_directive(top_directives, name);
	if (directive != NULL)
		parser->used[directive - top_directives] = true;
	if (directive == NULL && find_directive(block_directives, name) != NULL)
		config_report(parser, statement->line, "%s: only allowed inside a domain block", name);
	else if (directive == NULL)
		config_report(parser, statement->line, "unknown directive %s", quote(quoted, name));
	else if (directive->block)
		config_report(parser, statement->line, "%s: missing '{' at the end of the line (usage: %s)", name,
		              directive->usage);
	else
		run_directive(parser, directive, statement);
}

void config_directives_open_block(struct config_parser *parser, const struct config_statement *statement)
{
	const char *name = statement->words[0];
	const struct directive *directive = find_directive(top_directives, name);
	char quoted[LOG_QUOTED_SIZE];

	if (directive == NULL && find_directive(block_directives, name) != NULL)
		config_report(parser, statement->line, "%s: only allowed inside a domain block", name);
	else if (directive == NULL)
		config_report(parser, statement->line, "unknown directive %s", quote(quoted, name));
	else if (!directive->block)
		config_report(parser, statement->line, "%s: does not take a block", name);
	else
		run_directive(parser, directive, statement);
}

/* Outbound connection limits: the total bounded (each is a socket, and the remote lane of the
 * scheduler runs as many attempts), the per-domain one within the total. */
static void check_outbound_connections(struct config_parser *parser)
{
	struct config *config = parser->config;
	unsigned total_line = parser->seen[find_directive(top_directives, "max-outbound-connections") - top_directives];
	unsigned domain_line =
	    parser->seen[find_directive(top_directives, "max-outbound-connections-per-domain") - top_directives];

	if (config->max_outbound_connections > CONFIG_OUTBOUND_CONNECTIONS_MAX) {
		config_report(parser, total_line, "max-outbound-connections: %u is too many (at most %u)",
		              config->max_outbound_connections, CONFIG_OUTBOUND_CONNECTIONS_MAX);
		return;
	}
	if (config->max_outbound_connections_per_domain <= config->max_outbound_connections)
		return;
	if (domain_line == 0) /* only the total was lowered: the default per domain follows it */
		config->max_outbound_connections_per_domain = config->max_outbound_connections;
	else
		config_report(parser, domain_line,
		              "max-outbound-connections-per-domain: %u is more than max-outbound-connections (%u)",
		              config->max_outbound_connections_per_domain, config->max_outbound_connections);
}

void config_directives_check_required(struct config_parser *parser)
{
	const struct config *config = parser->config;

	for (const struct directive *directive = top_directives; directive->name != NULL; directive++)
		if (directive->required && !parser->used[directive - top_directives])
			config_report(parser, parser->last_line, "no %s directive (usage: %s)", directive->name,
			              directive->usage);
	/* RFC 8314 §3, RFC 4954 §4: submission means TLS, so its listeners need a certificate. */
	for (size_t i = 0; i < config->listener_count && config->certificate_count == 0; i++)
		if (config->listeners[i].role != LISTENER_SMTP)
			config_report(parser, parser->listener_lines[i], "listen: %s needs a certificate (add: tls cert PATH key PATH)",
			              config->listeners[i].role == LISTENER_SUBMISSION ? "submission" : "submissions");
	check_outbound_connections(parser);
}
