/* aliases_file: parses an aliases(5) file, "name: target, target, ..." with continuation
 * lines, into config_alias entries. Pure: the caller reads the file. */
#ifndef TERN_ALIASES_FILE_H
#define TERN_ALIASES_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"
#include "util/buffer.h"

/* Parses text, the content of the aliases file called file_name (used in messages only).
 * A line starting with whitespace continues the alias before it; blank lines and lines whose
 * first non-blank byte is '#' are skipped. Targets are separated by commas (or line ends) and
 * are either a local name (lower-cased, rules of users_file_name_problem) or a full address
 * user@domain (as written; address_parse_mailbox, UTF-8 allowed). "|command", "/file" and
 * ":include:" targets are refused. Alias names are lower-cased, unique, and distinct from the
 * users' names.
 * users (sorted, as users_file_parse returns them) is the domain's users. If check_local_targets,
 * every local-name target must name one of them or an alias of this file; pass false when the
 * users file itself failed, to avoid a cascade of errors.
 * On success returns true and sets *aliases (owned, sorted by name for aliases_file_find) and
 * *alias_count. On failure returns false with *aliases NULL and appends one
 * "FILE:LINE: message\n" line per problem to errors. */
bool aliases_file_parse(const char *file_name, struct slice text, const struct config_user *users,
                        size_t user_count, bool check_local_targets, struct config_alias **aliases,
                        size_t *alias_count, struct buffer *errors);

/* Frees an array from aliases_file_parse. NULL is a no-op. */
void aliases_file_free(struct config_alias *aliases, size_t alias_count);

/* The alias called name (ASCII case-insensitive) in a sorted array from aliases_file_parse. */
const struct config_alias *aliases_file_find(const struct config_alias *aliases, size_t alias_count,
                                             struct slice name);

#endif
