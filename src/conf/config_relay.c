/* config_relay: parses `relay URL [auth FILE] [ca FILE] [for DOMAIN...]` into a
 * struct config_relay, reading the credentials file at load time (the daemon is still root
 * then, so the file can be root-only). A second relay without `for` is an error: which one
 * would be the default? */
#include "conf/config_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "smtp/address.h"
#include "util/files.h"
#include "util/log.h"
#include "util/xalloc.h"

#define RELAY_SECRET_MAX 4096

static bool parse_url(const char *url, struct config_relay *relay)
{
	const char *rest, *colon;
	char *end;
	unsigned long port;

	if (strncmp(url, "smtps://", 8) == 0) {
		relay->implicit_tls = true;
		rest = url + 8;
		relay->port = 465;
	} else if (strncmp(url, "smtp://", 7) == 0) {
		rest = url + 7;
		relay->port = 587;
	} else {
		return false;
	}
	colon = strchr(rest, ':');
	relay->host = colon ? xstrndup(rest, (size_t)(colon - rest)) : xstrdup(rest);
	if (colon) {
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || *end || port == 0 || port > 65535)
			return false;
		relay->port = (unsigned)port;
	}
	return address_domain_is_valid(slice_from_string(relay->host), false);
}

/* "user:password" on the first line; the file should be readable by its owner only. */
static const char *read_secret(const char *path, struct config_relay *relay)
{
	struct buffer text;
	struct stat info;
	const char *problem = NULL;
	long colon, newline;
	struct slice line;

	buffer_init(&text, RELAY_SECRET_MAX);
	if (files_read_all(AT_FDCWD, path, &text) != 0) {
		buffer_free(&text);
		return strerror(errno);
	}
	if (stat(path, &info) == 0 && (info.st_mode & 077))
		log_warning("relay: %s is readable by other users; chmod 600 it", path);
	line = buffer_slice(&text);
	newline = slice_find_byte(line, '\n');
	if (newline >= 0)
		line = slice_sub(line, 0, (size_t)newline);
	if (line.length > 0 && line.data[line.length - 1] == '\r')
		line = slice_sub(line, 0, line.length - 1);
	colon = slice_find_byte(line, ':');
	if (colon <= 0) {
		problem = "expected one line user:password";
	} else {
		relay->user = slice_to_string(slice_sub(line, 0, (size_t)colon));
		relay->password = slice_to_string(slice_skip(line, (size_t)colon + 1));
	}
	buffer_free(&text);
	return problem;
}

/* The options after the URL; returns false after reporting. */
static bool parse_options(struct config_parser *parser, const struct config_statement *statement,
                          struct config_relay *relay)
{
	for (size_t i = 2; i < statement->count; i++) {
		const char *word = statement->words[i];
		const char *problem;
		char *path;

		if (strcmp(word, "fallback") == 0) {
			relay->fallback = true;
		} else if (strcmp(word, "for") == 0) {
			for (i++; i < statement->count; i++) {
				relay->domains = xrealloc(relay->domains, (relay->domain_count + 1) * sizeof *relay->domains);
				relay->domains[relay->domain_count++] = xstrdup(statement->words[i]);
			}
			if (relay->domain_count == 0)
				return config_report(parser, statement->line, "relay: `for` needs at least one domain"), false;
		} else if ((strcmp(word, "auth") == 0 || strcmp(word, "ca") == 0) && i + 1 < statement->count) {
			path = config_resolve_path(parser, statement->words[++i]);
			if (word[0] == 'c') {
				relay->ca_file = path;
				continue;
			}
			problem = read_secret(path, relay);
			if (problem != NULL) {
				config_report(parser, statement->line, "relay: auth %s: %s", path, problem);
				free(path);
				return false;
			}
			free(path);
		} else {
			config_report(parser, statement->line,
			              "relay: unexpected \"%s\" (usage: relay URL [auth FILE] [ca FILE] [for DOMAIN...|fallback])",
			              word);
			return false;
		}
	}
	return true;
}

void config_relay_handle(struct config_parser *parser, const struct config_statement *statement)
{
	struct config *config = parser->config;
	struct config_relay relay = {0};

	if (!parse_url(statement->words[1], &relay)) {
		config_report(parser, statement->line, "relay: bad URL \"%s\" (use smtps://HOST[:PORT] or smtp://HOST[:PORT])",
		              statement->words[1]);
		config_relay_free(&relay);
		return;
	}
	if (!parse_options(parser, statement, &relay)) {
		config_relay_free(&relay);
		return;
	}
	if (relay.fallback && relay.domain_count > 0) {
		config_report(parser, statement->line, "relay: a fallback relay is for every domain: drop `for`");
		config_relay_free(&relay);
		return;
	}
	for (size_t i = 0; i < config->relay_count && relay.domain_count == 0; i++)
		if (config->relays[i].domain_count == 0 && config->relays[i].fallback == relay.fallback) {
			config_report(parser, statement->line, relay.fallback ? "relay: a fallback relay is already set"
			                                                      : "relay: a default relay (without `for`) is already set");
			config_relay_free(&relay);
			return;
		}
	config->relays = xrealloc(config->relays, (config->relay_count + 1) * sizeof *config->relays);
	config->relays[config->relay_count++] = relay;
}

void config_relay_free(struct config_relay *relay)
{
	free(relay->host);
	free(relay->user);
	if (relay->password)
		explicit_bzero(relay->password, strlen(relay->password));
	free(relay->password);
	free(relay->ca_file);
	for (size_t i = 0; i < relay->domain_count; i++)
		free(relay->domains[i]);
	free(relay->domains);
}
