/* users_file: parses a users file, one "name:crypt-hash" line per user, into config_user
 * entries. Pure: the caller reads the file; this module only sees its bytes. */
#ifndef TERN_USERS_FILE_H
#define TERN_USERS_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"
#include "util/buffer.h"

/* Parses text, the content of the users file called file_name (used in messages only).
 * Lines: "name:hash", blank, or '#' comment (first non-blank byte). Names are lower-cased and
 * must pass users_file_name_problem; the hash may be empty and holds no whitespace, control
 * or ':'. Lines end in LF or CRLF; NUL and bare CR are errors.
 * On success returns true and sets *users (owned by the caller, sorted by name for
 * users_file_find) and *user_count. On failure returns false with *users NULL and appends one
 * "FILE:LINE: message\n" line per problem to errors. */
bool users_file_parse(const char *file_name, struct slice text, struct config_user **users, size_t *user_count,
                      struct buffer *errors);

/* Frees an array from users_file_parse. NULL is a no-op. */
void users_file_free(struct config_user *users, size_t user_count);

/* The user called name (ASCII case-insensitive) in an array sorted by users_file_parse, or NULL. */
const struct config_user *users_file_find(const struct config_user *users, size_t user_count, struct slice name);

/* Why name cannot be a local user or alias name, or NULL if it can: empty, longer than
 * ADDRESS_LOCAL_MAX, a control character, whitespace, '@', '/' (names end up in maildir paths),
 * or anything else that is not a dot-atom local part (RFC 5321 §4.1.2; UTF-8 per RFC 6531). */
const char *users_file_name_problem(struct slice name);

/* A copy of name with ASCII letters lower-cased, owned by the caller. */
char *users_file_lower_case(struct slice name);

/* Orders name, taken ASCII case-insensitively, against a lower-case stored name the way strcmp
 * orders their lower-case forms: <0, 0 or >0. Shared with aliases_file for its lookups. */
int users_file_compare_name(struct slice name, const char *stored);

#endif
