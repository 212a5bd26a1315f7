/* aliases_file: the aliases(5) file of a domain: "name: target, target, ..." where a line that
 * starts with whitespace continues the previous alias. Targets are local names or full
 * addresses (RFC 5321 §4.1.2 Mailbox); each error names the line the target is on.
 * It does not support "|command", "/file" or ":include:" targets (tern never runs a shell or
 * writes files for an alias), does not expand aliases, and does not detect alias loops
 * (expansion caps its depth). It does not read files. Line splitting, problem reports and
 * finding repeated names are domain_file.c's; name rules are users_file_name_problem's. */
#include "conf/aliases_file.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/domain_file.h"
#include "conf/users_file.h"
#include "smtp/address.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The longest target, quotes included: an address path less its brackets (RFC 5321 §4.5.3.1.3). */
#define TARGET_MAX (ADDRESS_PATH_MAX - 2)

struct entry {
	struct config_alias alias;
	struct domain_file_name key; /* its name and line, for finding repeats */
	unsigned *target_lines;
	bool *target_is_local;
};

struct parse {
	struct domain_file_errors errors;
	struct entry *entries;
	size_t count;
	bool in_entry;       /* continuation lines belong to entries[count - 1] */
	bool skipping;       /* the current alias line was bad: ignore its continuation lines */
	bool comma_pending;  /* a ',' with no target after it yet */
	bool in_quotes;
	bool target_failed;  /* the current alias had a bad target */
	bool lost_alias;     /* an alias line was dropped: lookups of local targets would mislead */
	struct buffer target;
	unsigned target_line;
};

static char *quote(char out[LOG_QUOTED_SIZE], const char *text) { return log_quote(out, text, strlen(text)); }

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Why a target is refused, or NULL; *is_local tells a local name from an address. */
static const char *target_problem(char *target, bool *is_local)
{
	struct address address;
	const char *unquoted = target[0] == '"' ? target + 1 : target;

	if (unquoted[0] == '|')
		return "delivery to a command (\"|command\") is not supported";
	if (unquoted[0] == '/')
		return "delivery to a file (\"/file\") is not supported";
	if (strncasecmp(unquoted, ":include:", 9) == 0)
		return "\":include:\" is not supported";
	*is_local = strchr(target, '@') == NULL;
	if (*is_local)
		return users_file_name_problem(slice_from_string(target));
	switch (address_parse_mailbox(slice_from_string(target), ADDRESS_ALLOW_UTF8, &address)) {
	case ADDRESS_OK:
		return NULL;
	case ADDRESS_TOO_LONG:
		return "address too long (RFC 5321 §4.5.3.1)";
	case ADDRESS_BAD_UTF8:
		return "address is not valid UTF-8";
	default:
		return "not a valid address (RFC 5321 §4.1.2)";
	}
}

static void add_target(struct parse *parse, char *text, unsigned line, bool is_local)
{
	struct entry *entry = &parse->entries[parse->count - 1];
	size_t count = entry->alias.target_count;

	entry->alias.targets = xrealloc(entry->alias.targets, (count + 1) * sizeof *entry->alias.targets);
	entry->target_lines = xrealloc(entry->target_lines, (count + 1) * sizeof *entry->target_lines);
	entry->target_is_local = xrealloc(entry->target_is_local, (count + 1) * sizeof *entry->target_is_local);
	if (is_local)
		for (char *p = text; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	entry->alias.targets[count] = text;
	entry->target_lines[count] = line;
	entry->target_is_local[count] = is_local;
	entry->alias.target_count++;
}

/* Ends the target being collected, at a ',' (by_comma) or at the end of a line. */
static void finish_target(struct parse *parse, bool by_comma)
{
	struct buffer *target = &parse->target;
	char quoted[LOG_QUOTED_SIZE];
	const char *problem;
	bool is_local = false;

	while (target->length > 0 && is_blank(target->data[target->length - 1]))
		target->length--;
	if (target->length == 0) {
		if (by_comma && (parse->comma_pending || parse->entries[parse->count - 1].alias.target_count == 0)) {
			domain_file_report(&parse->errors, parse->target_line,
			                   "empty target (a ',' with nothing before it)");
			parse->target_failed = true;
		}
		parse->comma_pending |= by_comma;
		return;
	}
	target->data[target->length] = '\0';
	parse->comma_pending = by_comma;
	if ((problem = target_problem(target->data, &is_local)) != NULL) {
		domain_file_report(&parse->errors, parse->target_line, "bad target %s: %s", quote(quoted, target->data),
		                   problem);
		parse->target_failed = true;
	} else {
		add_target(parse, slice_to_string(buffer_slice(target)), parse->target_line, is_local);
	}
	buffer_clear(target);
}

/* Collects one byte of a target; a quoted string may hold ',' and '\'-escaped bytes. */
static void collect(struct parse *parse, struct slice segment, size_t *i, unsigned line)
{
	char c = segment.data[*i];

	if (parse->target.length == 0 && is_blank(c) && !parse->in_quotes)
		return;
	if (parse->target.length == 0)
		parse->target_line = line;
	if (parse->in_quotes && c == '\\' && *i + 1 < segment.length) {
		buffer_append(&parse->target, &c, 1);
		c = segment.data[++*i];
	} else if (c == '"') {
		parse->in_quotes = !parse->in_quotes;
	}
	if (!buffer_append(&parse->target, &c, 1)) {
		domain_file_report(&parse->errors, line, "target longer than %u bytes", TARGET_MAX);
		parse->skipping = true;
	}
}

/* Splits the target list on one physical line (the part after "name:" or a continuation). */
static void parse_targets(struct parse *parse, struct slice segment, unsigned line)
{
	parse->target_line = line;
	for (size_t i = 0; i < segment.length && !parse->skipping; i++) {
		if (segment.data[i] == ',' && !parse->in_quotes)
			finish_target(parse, true);
		else
			collect(parse, segment, &i, line);
	}
	if (parse->skipping)
		return;
	if (parse->in_quotes) {
		domain_file_report(&parse->errors, line, "unterminated quoted string in target");
		parse->target_failed = true;
		parse->in_quotes = false;
		buffer_clear(&parse->target);
		return;
	}
	finish_target(parse, false);
}

static void finish_entry(struct parse *parse)
{
	char quoted[LOG_QUOTED_SIZE];
	const struct entry *entry;

	if (!parse->in_entry || parse->skipping)
		return;
	entry = &parse->entries[parse->count - 1];
	if (entry->alias.target_count == 0 && !parse->target_failed)
		domain_file_report(&parse->errors, entry->key.line, "alias %s has no targets",
		                   quote(quoted, entry->alias.name));
}

static void start_entry(struct parse *parse, struct slice line, unsigned number)
{
	long colon = slice_find_byte(line, ':');
	struct slice name = slice_sub(line, 0, colon < 0 ? 0 : (size_t)colon);
	const char *problem;
	char quoted[LOG_QUOTED_SIZE];
	struct entry *entry;

	parse->in_entry = true;
	parse->skipping = true; /* until the name is known to be good */
	parse->comma_pending = false;
	parse->in_quotes = false;
	parse->target_failed = false;
	buffer_clear(&parse->target);
	if (colon < 0) {
		domain_file_report(&parse->errors, number, "missing ':' (expected name: target, ...)");
		parse->lost_alias = true;
		return;
	}
	if ((problem = users_file_name_problem(name)) != NULL) {
		domain_file_report(&parse->errors, number, "bad alias name %s: %s",
		                   log_quote(quoted, name.data, name.length), problem);
		parse->lost_alias = true;
		return;
	}
	parse->skipping = false;
	parse->entries = xrealloc(parse->entries, (parse->count + 1) * sizeof *parse->entries);
	entry = &parse->entries[parse->count++];
	memset(entry, 0, sizeof *entry);
	entry->alias.name = users_file_lower_case(name);
	entry->key = (struct domain_file_name){entry->alias.name, number, parse->count - 1, 0};
	parse_targets(parse, slice_skip(line, (size_t)colon + 1), number);
}

static void parse_line(struct slice line, unsigned number, void *context)
{
	struct parse *parse = context;

	if (!is_blank(line.data[0])) {
		finish_entry(parse);
		start_entry(parse, line, number);
	} else if (!parse->in_entry) {
		domain_file_report(&parse->errors, number,
		                   "continuation line (starting with whitespace) without an alias before it");
	} else if (!parse->skipping) {
		parse_targets(parse, line, number);
	}
}

static void check_names(struct parse *parse, const struct config_user *users, size_t user_count)
{
	char quoted[LOG_QUOTED_SIZE];

	for (size_t i = 0; i < parse->count; i++) {
		const struct domain_file_name *key = &parse->entries[i].key;
		if (key->first_line != 0)
			domain_file_report(&parse->errors, key->line, "duplicate alias %s (first at line %u)",
			                   quote(quoted, key->name), key->first_line);
		else if (users_file_find(users, user_count, slice_from_string(key->name)) != NULL)
			domain_file_report(&parse->errors, key->line, "alias %s has the same name as a user",
			                   quote(quoted, key->name));
	}
}

static bool is_alias(struct domain_file_name **sorted, size_t count, const char *name)
{
	size_t low = 0, high = count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = strcmp(name, sorted[middle]->name);
		if (order == 0)
			return true;
		if (order < 0)
			high = middle;
		else
			low = middle + 1;
	}
	return false;
}

/* Every local-name target must lead somewhere in this domain. */
static void check_target_names(struct parse *parse, struct domain_file_name **sorted,
                               const struct config_user *users, size_t user_count)
{
	char quoted_target[LOG_QUOTED_SIZE], quoted_alias[LOG_QUOTED_SIZE];

	for (size_t i = 0; i < parse->count; i++) {
		const struct entry *entry = &parse->entries[i];
		for (size_t t = 0; t < entry->alias.target_count; t++) {
			const char *target = entry->alias.targets[t];
			if (!entry->target_is_local[t] || is_alias(sorted, parse->count, target) ||
			    users_file_find(users, user_count, slice_from_string(target)) != NULL)
				continue;
			domain_file_report(&parse->errors, entry->target_lines[t],
			                   "target %s of alias %s is neither a user nor an alias",
			                   quote(quoted_target, target), quote(quoted_alias, entry->alias.name));
		}
	}
}

static void free_alias(struct config_alias *alias)
{
	for (size_t t = 0; t < alias->target_count; t++)
		free(alias->targets[t]);
	free(alias->targets);
	free(alias->name);
}

/* Hands the aliases over in sorted order on success; frees them on failure. */
static struct config_alias *finish(struct parse *parse, struct domain_file_name **sorted)
{
	struct config_alias *aliases = parse->errors.failed ? NULL : xcalloc(parse->count, sizeof *aliases);

	for (size_t i = 0; i < parse->count; i++) {
		if (aliases != NULL)
			aliases[i] = parse->entries[sorted[i]->entry].alias;
		else
			free_alias(&parse->entries[i].alias);
		free(parse->entries[i].target_lines);
		free(parse->entries[i].target_is_local);
	}
	free(sorted);
	free(parse->entries);
	buffer_free(&parse->target);
	return aliases;
}

bool aliases_file_parse(const char *file_name, struct slice text, const struct config_user *users,
                        size_t user_count, bool check_local_targets, struct config_alias **aliases,
                        size_t *alias_count, struct buffer *errors)
{
	struct parse parse;
	struct domain_file_name **sorted;

	memset(&parse, 0, sizeof parse);
	parse.errors = (struct domain_file_errors){file_name, errors, false};
	buffer_init(&parse.target, TARGET_MAX);
	domain_file_parse_lines(text, parse_line, &parse);
	finish_entry(&parse);
	sorted = domain_file_sort_names(parse.entries, parse.count, sizeof *parse.entries, offsetof(struct entry, key));
	check_names(&parse, users, user_count);
	if (check_local_targets && !parse.lost_alias)
		check_target_names(&parse, sorted, users, user_count);
	*alias_count = parse.errors.failed ? 0 : parse.count;
	*aliases = finish(&parse, sorted);
	return *aliases != NULL;
}

void aliases_file_free(struct config_alias *aliases, size_t alias_count)
{
	if (aliases == NULL)
		return;
	for (size_t i = 0; i < alias_count; i++)
		free_alias(&aliases[i]);
	free(aliases);
}

const struct config_alias *aliases_file_find(const struct config_alias *aliases, size_t alias_count,
                                             struct slice name)
{
	size_t low = 0, high = alias_count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = users_file_compare_name(name, aliases[middle].name);
		if (order == 0)
			return &aliases[middle];
		if (order < 0)
			high = middle;
		else
			low = middle + 1;
	}
	return NULL;
}
