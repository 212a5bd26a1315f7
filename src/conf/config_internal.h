/* config_internal: the parser state that config.c (tokens, blocks, files) and
 * config_directives.c (what each directive means) share while a config loads.
 * Not a contract for other modules: include conf/config.h instead. */
#ifndef TERN_CONFIG_INTERNAL_H
#define TERN_CONFIG_INTERNAL_H

#include <stdbool.h>

#include "conf/config.h"
#include "conf/config_lexer.h"
#include "util/buffer.h"

#define CONFIG_TOP_DIRECTIVES_MAX 32

struct config_statement {
	char **words; /* words[0] is the directive; owned */
	size_t count;
	unsigned line;
	enum config_token_kind end; /* END_OF_LINE, END_OF_FILE, OPEN_BRACE or CLOSE_BRACE */
};

/* The domain whose block is open; it joins config->domains at its '}'. */
struct config_pending_domain {
	struct config_domain domain;
	unsigned line;
	char *users_path, *aliases_path; /* absolute; owned */
	unsigned users_line, aliases_line, deliver_line;
};

struct config_parser {
	const char *path;
	char *directory; /* absolute: where relative paths start */
	struct buffer *errors;
	bool failed;
	struct config *config;
	struct config_lexer lexer;
	unsigned last_line; /* where the file ends */
	unsigned depth;     /* open blocks */
	unsigned block_line;
	bool in_domain; /* the open block is a valid domain's: pending is live */
	struct config_pending_domain pending;
	unsigned seen[CONFIG_TOP_DIRECTIVES_MAX]; /* line of the first use of each top-level directive */
	bool used[CONFIG_TOP_DIRECTIVES_MAX];     /* tried at all, even if wrongly */
	unsigned *domain_lines;                    /* parallel to config->domains */
	unsigned *listener_lines;                  /* parallel to config->listeners */
};

/* Appends "PATH:LINE: message" to the errors and marks the load failed. */
void config_report(struct config_parser *parser, unsigned line, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
/* path made absolute against the config file's directory; owned by the caller. */
char *config_resolve_path(const struct config_parser *parser, const char *path);

/* config_directives.c. A statement that ended at a line end: checks that it is a directive of
 * where it stands (top level, or a domain block), its argument count and repeats, and applies
 * it. Statements inside an ignored block (a bad domain's, or nested) are skipped. */
void config_directives_run(struct config_parser *parser, const struct config_statement *statement);
/* A top-level statement that ended with '{': only "domain NAME {" may. Sets parser->in_domain
 * and parser->pending when it opens a valid domain's block. */
void config_directives_open_block(struct config_parser *parser, const struct config_statement *statement);

/* Reports each required directive (hostname, listen) the file never used, at its last line. */
void config_directives_check_required(struct config_parser *parser);

#endif
