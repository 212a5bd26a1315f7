/* config: reads ternd's config file (grammar in config.h) into a struct config, with the users
 * and aliases files its domains name, and checks it whole: every problem becomes one
 * "FILE:LINE: message" line and loading goes on, so one run shows them all. A '{' ends the line
 * of "domain NAME {"; a '}' stands on a line of its own. Problems of the whole file (no hostname,
 * no listen) are reported at its last line; a file that cannot be read, at line 0. Every domain
 * needs a postmaster (RFC 5321 §4.5.1). Relative paths start at the config file's directory.
 * It does not resolve host names, bind, create the spool or check permissions; directives are
 * config_directives.c's, value syntaxes config_values.c's, file formats users_file.c's and
 * aliases_file.c's. */
#include "conf/config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "conf/aliases_file.h"
#include "conf/config_relay.h"
#include "conf/config_internal.h"
#include "conf/config_values.h"
#include "conf/users_file.h"
#include "util/log.h"
#include "util/xalloc.h"

#define CONFIG_FILE_MAX (16u * 1024 * 1024) /* for the config, users and aliases files alike */
#define SPOOL_DEFAULT "/var/spool/tern"

void config_report(struct config_parser *parser, unsigned line, const char *format, ...)
{
	va_list arguments;
	char message[2 * LOG_QUOTED_SIZE + 256];

	va_start(arguments, format);
	vsnprintf(message, sizeof message, format, arguments);
	va_end(arguments);
	buffer_printf(parser->errors, "%s:%u: %s\n", parser->path, line, message);
	parser->failed = true;
}

char *config_resolve_path(const struct config_parser *parser, const char *path)
{
	return path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", parser->directory, path);
}

static char *quote(char out[LOG_QUOTED_SIZE], const char *text) { return log_quote(out, text, strlen(text)); }

/* Reads a whole file (at most CONFIG_FILE_MAX bytes) into content. 0, or -1 with errno set. */
static int read_file(const char *path, struct buffer *content)
{
	char chunk[65536];
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC), saved;

	if (fd < 0)
		return -1;
	while ((got = read(fd, chunk, sizeof chunk)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || !buffer_append(content, chunk, (size_t)got)) {
			saved = got < 0 ? errno : EFBIG;
			close(fd);
			errno = saved;
			return -1;
		}
	}
	close(fd);
	return 0;
}

/* The absolute directory holding path, or NULL with errno set. */
static char *directory_of(const char *path)
{
	char *absolute = realpath(path, NULL), *directory;

	if (absolute == NULL)
		return NULL;
	directory = xstrdup(dirname(absolute));
	free(absolute);
	return directory;
}

/* Statements: the words of one line, ended by the line end or by a brace. */

static void clear_statement(struct config_statement *statement)
{
	for (size_t i = 0; i < statement->count; i++)
		free(statement->words[i]);
	statement->count = 0;
}

static void add_word(struct config_statement *statement, unsigned line, struct slice text)
{
	if (statement->count == 0)
		statement->line = line;
	statement->words = xrealloc(statement->words, (statement->count + 1) * sizeof *statement->words);
	statement->words[statement->count++] = slice_to_string(text);
}

/* After a brace only the end of the line may follow. */
static void expect_line_end(struct config_parser *parser, char brace)
{
	struct config_token token;
	enum config_token_kind kind = config_lexer_next(&parser->lexer, &token);

	if (kind == CONFIG_TOKEN_END_OF_LINE || kind == CONFIG_TOKEN_END_OF_FILE)
		return;
	config_report(parser, token.line, "unexpected text after '%c' (start a new line)", brace);
	while (kind != CONFIG_TOKEN_END_OF_LINE && kind != CONFIG_TOKEN_END_OF_FILE)
		kind = config_lexer_next(&parser->lexer, &token);
}

/* Reads the next statement; false at the end of the file. A line with a lexer error is
 * reported and dropped. */
static bool read_statement(struct config_parser *parser, struct config_statement *statement)
{
	struct config_token token;
	bool failed = false;

	clear_statement(statement);
	for (;;) {
		enum config_token_kind kind = config_lexer_next(&parser->lexer, &token);
		statement->end = kind;
		if (kind == CONFIG_TOKEN_WORD || kind == CONFIG_TOKEN_STRING) {
			add_word(statement, token.line, token.text);
		} else if (kind == CONFIG_TOKEN_ERROR) {
			config_report(parser, token.line, "%s", token.message);
			failed = true;
		} else if (kind == CONFIG_TOKEN_OPEN_BRACE || kind == CONFIG_TOKEN_CLOSE_BRACE) {
			if (statement->count == 0)
				statement->line = token.line;
			expect_line_end(parser, kind == CONFIG_TOKEN_OPEN_BRACE ? '{' : '}');
			return true;
		} else if (kind == CONFIG_TOKEN_END_OF_FILE) {
			parser->last_line = token.line;
			return statement->count > 0 && !failed;
		} else if (statement->count > 0 && !failed) {
			return true;
		} else {
			clear_statement(statement);
			failed = false;
		}
	}
}

/* Domains: at its '}', a domain's users and aliases files are loaded and the whole checked. */

static bool load_file(struct config_parser *parser, const char *directive, const char *path, unsigned line,
                      struct buffer *text)
{
	char quoted[LOG_QUOTED_SIZE];

	buffer_init(text, CONFIG_FILE_MAX);
	if (read_file(path, text) == 0)
		return true;
	config_report(parser, line, "%s: cannot read %s: %s", directive, quote(quoted, path),
	              errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
	return false;
}

static bool load_users(struct config_parser *parser)
{
	struct config_pending_domain *pending = &parser->pending;
	struct buffer text;
	bool loaded;

	if (pending->users_path == NULL)
		return true;
	loaded = load_file(parser, "users", pending->users_path, pending->users_line, &text) &&
	         users_file_parse(pending->users_path, buffer_slice(&text), &pending->domain.users,
	                          &pending->domain.user_count, parser->errors);
	buffer_free(&text);
	parser->failed |= !loaded;
	return loaded;
}

static bool load_aliases(struct config_parser *parser, bool users_loaded)
{
	struct config_pending_domain *pending = &parser->pending;
	struct config_domain *domain = &pending->domain;
	struct buffer text;
	bool loaded;

	if (pending->aliases_path == NULL)
		return true;
	loaded = load_file(parser, "aliases", pending->aliases_path, pending->aliases_line, &text) &&
	         aliases_file_parse(pending->aliases_path, buffer_slice(&text), domain->users, domain->user_count,
	                            users_loaded, &domain->aliases, &domain->alias_count, parser->errors);
	buffer_free(&text);
	parser->failed |= !loaded;
	return loaded;
}

static void finish_domain(struct config_parser *parser)
{
	struct config_pending_domain *pending = &parser->pending;
	struct config *config = parser->config;
	struct slice postmaster = slice_from_string("postmaster");
	char quoted[LOG_QUOTED_SIZE];
	bool users_loaded = load_users(parser), aliases_loaded = load_aliases(parser, users_loaded);

	quote(quoted, pending->domain.name);
	if (pending->deliver_line == 0)
		config_report(parser, pending->line, "domain %s has no deliver directive", quoted);
	if (users_loaded && aliases_loaded && config_find_user(&pending->domain, postmaster) == NULL &&
	    config_find_alias(&pending->domain, postmaster) == NULL)
		config_report(parser, pending->line, "domain %s has no user or alias named postmaster (RFC 5321 §4.5.1)",
		              quoted);
	config->domains = xrealloc(config->domains, (config->domain_count + 1) * sizeof *config->domains);
	parser->domain_lines = xrealloc(parser->domain_lines, (config->domain_count + 1) * sizeof(unsigned));
	parser->domain_lines[config->domain_count] = pending->line;
	config->domains[config->domain_count++] = pending->domain;
	free(pending->users_path);
	free(pending->aliases_path);
	memset(pending, 0, sizeof *pending);
	parser->in_domain = false;
}

static void open_block(struct config_parser *parser, const struct config_statement *statement)
{
	if (statement->count == 0)
		config_report(parser, statement->line, "'{' must end the line of the directive it belongs to");
	else if (parser->depth > 0)
		config_report(parser, statement->line, "blocks cannot be nested");
	else
		config_directives_open_block(parser, statement);
	if (parser->depth++ == 0)
		parser->block_line = statement->line;
}

static void close_block(struct config_parser *parser, const struct config_statement *statement)
{
	if (statement->count > 0) {
		config_report(parser, statement->line, "'}' must be on a line of its own");
		config_directives_run(parser, statement);
	}
	if (parser->depth == 0)
		config_report(parser, statement->line, "unexpected '}' (no block is open)");
	else if (--parser->depth == 0 && parser->in_domain)
		finish_domain(parser);
}

static void config_free_dkim_keys(struct config_domain *domain)
{
	for (size_t i = 0; i < domain->dkim_key_count; i++) {
		free(domain->dkim_keys[i].selector);
		EVP_PKEY_free(domain->dkim_keys[i].key);
	}
	free(domain->dkim_keys);
	domain->dkim_keys = NULL;
	domain->dkim_key_count = 0;
}

static void discard_pending(struct config_parser *parser)
{
	struct config_domain *domain = &parser->pending.domain;

	free(domain->name);
	free(domain->maildir_template);
	config_free_dkim_keys(domain);
	free(parser->pending.users_path);
	free(parser->pending.aliases_path);
	memset(&parser->pending, 0, sizeof parser->pending);
}

static void parse(struct config_parser *parser)
{
	struct config_statement statement = {0};

	while (read_statement(parser, &statement)) {
		if (statement.end == CONFIG_TOKEN_OPEN_BRACE)
			open_block(parser, &statement);
		else if (statement.end == CONFIG_TOKEN_CLOSE_BRACE)
			close_block(parser, &statement);
		else
			config_directives_run(parser, &statement);
	}
	clear_statement(&statement);
	free(statement.words);
	if (parser->depth > 0)
		config_report(parser, parser->block_line, "block is never closed (missing '}')");
	if (parser->in_domain)
		discard_pending(parser);
	config_directives_check_required(parser);
}

static struct config *config_new(const char *path)
{
	struct config *config = xcalloc(1, sizeof *config);

	config->path = xstrdup(path);
	config->spool_directory = xstrdup(SPOOL_DEFAULT);
	config->max_message_size = 25u * 1024 * 1024;
	config->max_recipients = 100; /* RFC 5321 §4.5.3.1.8: at least 100 must be accepted */
	config->max_connections = 1000;
	config->max_connections_per_ip = 20;
	config->max_outbound_connections = 64;
	config->max_outbound_connections_per_domain = 20; /* Postfix's default_destination_concurrency_limit */
	config->command_timeout = 5 * 60; /* RFC 5321 §4.5.3.2.7 */
	config->data_timeout = 10 * 60;
	config->retry_interval = 5 * 60;
	config->retry_max = 60 * 60;
	config->max_queue_lifetime = 5 * 24 * 60 * 60;
	return config;
}

struct config *config_load(const char *path, struct buffer *errors)
{
	struct config_parser parser = {0};
	struct buffer text;

	parser.path = path;
	parser.errors = errors;
	buffer_init(&text, CONFIG_FILE_MAX);
	if (read_file(path, &text) < 0 || (parser.directory = directory_of(path)) == NULL) {
		config_report(&parser, 0, "cannot read config file: %s", errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
		buffer_free(&text);
		return NULL;
	}
	parser.config = config_new(path);
	config_lexer_init(&parser.lexer, buffer_slice(&text));
	parse(&parser);
	config_lexer_free(&parser.lexer);
	buffer_free(&text);
	free(parser.directory);
	free(parser.domain_lines);
	free(parser.listener_lines);
	if (!parser.failed)
		return parser.config;
	config_free(parser.config);
	return NULL;
}

void config_free(struct config *config)
{
	if (config == NULL)
		return;
	for (size_t i = 0; i < config->listener_count; i++)
		free(config->listeners[i].text);
	for (size_t i = 0; i < config->domain_count; i++) {
		struct config_domain *domain = &config->domains[i];
		free(domain->name);
		free(domain->maildir_template);
		config_free_dkim_keys(domain);
		users_file_free(domain->users, domain->user_count);
		aliases_file_free(domain->aliases, domain->alias_count);
	}
	free(config->domains);
	free(config->listeners);
	free(config->trusted);
	free(config->spool_directory);
	free(config->user);
	free(config->local_socket);
	free(config->control_socket);
	free(config->resolver);
	for (size_t i = 0; i < config->relay_count; i++)
		config_relay_free(&config->relays[i]);
	free(config->relays);
	for (size_t i = 0; i < config->certificate_count; i++) {
		free(config->certificates[i].certificate);
		free(config->certificates[i].key);
	}
	free(config->certificates);
	free(config->hostname);
	free(config->path);
	free(config);
}

const struct config_domain *config_find_domain(const struct config *config, struct slice name)
{
	for (size_t i = 0; i < config->domain_count; i++)
		if (slice_equal_nocase(slice_from_string(config->domains[i].name), name))
			return &config->domains[i];
	return NULL;
}

const struct config_user *config_find_user(const struct config_domain *domain, struct slice name)
{
	return users_file_find(domain->users, domain->user_count, name);
}

const struct config_alias *config_find_alias(const struct config_domain *domain, struct slice name)
{
	return aliases_file_find(domain->aliases, domain->alias_count, name);
}

bool config_is_trusted(const struct config *config, const struct sockaddr *address)
{
	for (size_t i = 0; i < config->trusted_count; i++)
		if (config_values_network_contains(&config->trusted[i], address))
			return true;
	return false;
}

const struct config_user *config_find_login(const struct config *config, const char *name, char *mailbox,
                                           size_t size)
{
	const char *at = strrchr(name, '@');
	const struct config_user *found = NULL;
	const struct config_domain *found_domain = NULL;

	for (size_t i = 0; i < config->domain_count; i++) {
		const struct config_domain *domain = &config->domains[i];
		struct slice local = at ? slice_make(name, (size_t)(at - name)) : slice_from_string(name);
		const struct config_user *user;

		if (at && !slice_equal_string_nocase(slice_from_string(at + 1), domain->name))
			continue;
		if ((user = config_find_user(domain, local)) == NULL)
			continue;
		if (found != NULL)
			return NULL; /* "alice" in two domains is ambiguous: the client must say which */
		found = user;
		found_domain = domain;
	}
	if (found != NULL)
		snprintf(mailbox, size, "%s@%s", found->name, found_domain->name);
	return found;
}

const struct config_relay *config_find_relay(const struct config *config, const char *domain)
{
	const struct config_relay *fallback = NULL;

	for (size_t i = 0; i < config->relay_count; i++) {
		const struct config_relay *relay = &config->relays[i];
		if (relay->fallback)
			continue;
		if (relay->domain_count == 0)
			fallback = relay;
		for (size_t d = 0; d < relay->domain_count; d++)
			if (strcasecmp(relay->domains[d], domain) == 0)
				return relay;
	}
	return fallback;
}

const struct config_relay *config_find_fallback_relay(const struct config *config)
{
	for (size_t i = 0; i < config->relay_count; i++)
		if (config->relays[i].fallback)
			return &config->relays[i];
	return NULL;
}
