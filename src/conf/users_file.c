/* users_file: the users file of a domain, "name:crypt-hash" per line, as crypt(3) hashes come
 * out of mkpasswd. Names are local parts (RFC 5321 §4.1.2 Dot-string, UTF-8 per RFC 6531 §3.3),
 * stored lower-cased; duplicates are errors, reported at the later line.
 * It does not read files, check that hashes are ones crypt(3) knows, or check permissions; line
 * splitting, problem reports and finding repeated names are domain_file.c's. */
#include "conf/users_file.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain_file.h"
#include "smtp/address.h"
#include "util/log.h"
#include "util/xalloc.h"

struct entry {
	struct config_user user;
	struct domain_file_name key; /* its name and line, for finding repeats */
};

struct parse {
	struct domain_file_errors errors;
	struct entry *entries;
	size_t count;
};

static bool is_atext(unsigned char c)
{
	/* RFC 5322 §3.2.3 atext; bytes >= 0x80 are UTF-8 (RFC 6531 §3.3), checked by address.c. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80 ||
	       strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static const char *byte_problem(struct slice name)
{
	for (size_t i = 0; i < name.length; i++) {
		unsigned char c = (unsigned char)name.data[i];
		if (c < 0x20 || c == 0x7f)
			return c == '\t' ? "contains whitespace" : "contains a control character";
		if (c == ' ')
			return "contains whitespace";
		if (c == '@')
			return "contains '@'";
		if (c == '/')
			return "contains '/'";
		if (c != '.' && !is_atext(c))
			return "contains a character a local part cannot hold unquoted (RFC 5322 §3.2.3)";
	}
	return NULL;
}

const char *users_file_name_problem(struct slice name)
{
	char mailbox[ADDRESS_LOCAL_MAX + sizeof "@example.org"];
	struct address address;
	const char *problem;

	if (name.length == 0)
		return "it is empty";
	if ((problem = byte_problem(name)) != NULL)
		return problem;
	if (name.length > ADDRESS_LOCAL_MAX)
		return "longer than 64 octets (RFC 5321 §4.5.3.1.1)";
	if (name.data[0] == '.' || name.data[name.length - 1] == '.' || memmem(name.data, name.length, "..", 2))
		return "a dot-atom cannot start or end with '.' or hold '..' (RFC 5322 §3.2.3)";
	memcpy(mailbox, name.data, name.length);
	memcpy(mailbox + name.length, "@example.org", sizeof "@example.org");
	switch (address_parse_mailbox(slice_from_string(mailbox), ADDRESS_ALLOW_UTF8, &address)) {
	case ADDRESS_OK:
		return NULL;
	case ADDRESS_BAD_UTF8:
		return "not valid UTF-8";
	default:
		return "not a valid local part (RFC 5321 §4.1.2)";
	}
}

char *users_file_lower_case(struct slice name)
{
	char *copy = slice_to_string(name);

	for (char *p = copy; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return copy;
}

static const char *hash_problem(struct slice hash)
{
	for (size_t i = 0; i < hash.length; i++) {
		unsigned char c = (unsigned char)hash.data[i];
		if (c == ' ' || c == '\t')
			return "whitespace";
		if (c < 0x20 || c == 0x7f)
			return "a control character";
		if (c == ':')
			return "a second ':'";
	}
	return NULL;
}

static void add_entry(struct parse *parse, struct slice name, struct slice hash, unsigned number)
{
	struct entry *entry;

	parse->entries = xrealloc(parse->entries, (parse->count + 1) * sizeof *parse->entries);
	entry = &parse->entries[parse->count++];
	entry->user.name = users_file_lower_case(name);
	entry->user.hash = slice_to_string(hash);
	entry->key = (struct domain_file_name){entry->user.name, number, parse->count - 1, 0};
}

/* One "name:hash" line. The line itself is never quoted in a message: it may hold a hash. */
static void parse_line(struct slice line, unsigned number, void *context)
{
	struct parse *parse = context;
	long colon = slice_find_byte(line, ':');
	struct slice name, hash;
	const char *problem;
	char quoted[LOG_QUOTED_SIZE];

	if (colon < 0) {
		domain_file_report(&parse->errors, number, "missing ':' (expected name:crypt-hash)");
		return;
	}
	name = slice_sub(line, 0, (size_t)colon);
	hash = slice_skip(line, (size_t)colon + 1);
	if ((problem = users_file_name_problem(name)) != NULL) {
		domain_file_report(&parse->errors, number, "bad user name %s: %s",
		                   log_quote(quoted, name.data, name.length), problem);
		return;
	}
	if ((problem = hash_problem(hash)) != NULL) {
		domain_file_report(&parse->errors, number, "bad password hash for user %s: contains %s",
		                   log_quote(quoted, name.data, name.length), problem);
		return;
	}
	add_entry(parse, name, hash, number);
}

static void report_duplicates(struct parse *parse)
{
	char quoted[LOG_QUOTED_SIZE];

	for (size_t i = 0; i < parse->count; i++) {
		const struct domain_file_name *key = &parse->entries[i].key;
		if (key->first_line != 0)
			domain_file_report(&parse->errors, key->line, "duplicate user %s (first at line %u)",
			                   log_quote(quoted, key->name, strlen(key->name)), key->first_line);
	}
}

static struct config_user *take_sorted(struct parse *parse, struct domain_file_name **sorted)
{
	struct config_user *users = xcalloc(parse->count, sizeof *users);

	for (size_t i = 0; i < parse->count; i++)
		users[i] = parse->entries[sorted[i]->entry].user;
	return users;
}

bool users_file_parse(const char *file_name, struct slice text, struct config_user **users, size_t *user_count,
                      struct buffer *errors)
{
	struct parse parse = {{file_name, errors, false}, NULL, 0};
	struct domain_file_name **sorted;

	domain_file_parse_lines(text, parse_line, &parse);
	sorted = domain_file_sort_names(parse.entries, parse.count, sizeof *parse.entries, offsetof(struct entry, key));
	report_duplicates(&parse);
	*users = NULL;
	*user_count = 0;
	if (!parse.errors.failed) {
		*users = take_sorted(&parse, sorted);
		*user_count = parse.count;
	} else {
		for (size_t i = 0; i < parse.count; i++) {
			free(parse.entries[i].user.name);
			free(parse.entries[i].user.hash);
		}
	}
	free(sorted);
	free(parse.entries);
	return !parse.errors.failed;
}

void users_file_free(struct config_user *users, size_t user_count)
{
	if (users == NULL)
		return;
	for (size_t i = 0; i < user_count; i++) {
		free(users[i].name);
		free(users[i].hash);
	}
	free(users);
}

int users_file_compare_name(struct slice name, const char *stored)
{
	size_t i = 0;

	for (; i < name.length && stored[i] != '\0'; i++) {
		unsigned char a = (unsigned char)name.data[i], b = (unsigned char)stored[i];
		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (a != b)
			return a < b ? -1 : 1;
	}
	if (i == name.length)
		return stored[i] == '\0' ? 0 : -1;
	return 1;
}

const struct config_user *users_file_find(const struct config_user *users, size_t user_count, struct slice name)
{
	size_t low = 0, high = user_count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;
		int order = users_file_compare_name(name, users[middle].name);
		if (order == 0)
			return &users[middle];
		if (order < 0)
			high = middle;
		else
			low = middle + 1;
	}
	return NULL;
}
