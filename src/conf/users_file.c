/* users_file: the users file of a domain, "name:crypt-hash" per line, as crypt(3) hashes come
 * out of mkpasswd. Names are local parts (RFC 5321 §4.1.2 Dot-string, UTF-8 per RFC 6531 §3.3),
 * stored lower-cased; duplicates are errors, reported at the later line.
 * It does not read files, check that hashes are ones crypt(3) knows, or check permissions. */
#include "conf/users_file.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/address.h"
#include "util/log.h"
#include "util/xalloc.h"

struct entry {
	struct config_user user;
	unsigned line;
	unsigned first_line; /* of an earlier entry with the same name, or 0 */
};

struct parse {
	const char *file_name;
	struct buffer *errors;
	struct entry *entries;
	size_t count;
	bool failed;
};

/* Takes the next line (without its LF or CRLF) off *rest; false when none is left. */
static bool next_line(struct slice *rest, struct slice *line)
{
	long newline = slice_find_byte(*rest, '\n');
	size_t length = newline < 0 ? rest->length : (size_t)newline;

	if (rest->length == 0)
		return false;
	*line = slice_sub(*rest, 0, length);
	if (newline >= 0 && length > 0 && line->data[length - 1] == '\r')
		line->length--;
	*rest = slice_skip(*rest, newline < 0 ? length : length + 1);
	return true;
}

static bool is_blank_or_comment(struct slice line)
{
	size_t i = 0;

	while (i < line.length && (line.data[i] == ' ' || line.data[i] == '\t'))
		i++;
	return i == line.length || line.data[i] == '#';
}

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

static void report(struct parse *parse, unsigned line, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct parse *parse, unsigned line, const char *format, ...)
{
	va_list arguments;
	char message[LOG_QUOTED_SIZE + 200];

	va_start(arguments, format);
	vsnprintf(message, sizeof message, format, arguments);
	va_end(arguments);
	buffer_printf(parse->errors, "%s:%u: %s\n", parse->file_name, line, message);
	parse->failed = true;
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
	entry->line = number;
	entry->first_line = 0;
}

/* One "name:hash" line. The line itself is never quoted in a message: it may hold a hash. */
static void parse_line(struct parse *parse, struct slice line, unsigned number)
{
	long colon = slice_find_byte(line, ':');
	struct slice name, hash;
	const char *problem;
	char quoted[LOG_QUOTED_SIZE];

	if (colon < 0) {
		report(parse, number, "missing ':' (expected name:crypt-hash)");
		return;
	}
	name = slice_sub(line, 0, (size_t)colon);
	hash = slice_skip(line, (size_t)colon + 1);
	if ((problem = users_file_name_problem(name)) != NULL) {
		report(parse, number, "bad user name %s: %s", log_quote(quoted, name.data, name.length), problem);
		return;
	}
	if ((problem = hash_problem(hash)) != NULL) {
		report(parse, number, "bad password hash for user %s: contains %s",
		       log_quote(quoted, name.data, name.length), problem);
		return;
	}
	add_entry(parse, name, hash, number);
}

static int compare_entries(const void *a, const void *b)
{
	const struct entry *const *x = a, *const *y = b;
	int order = strcmp((*x)->user.name, (*y)->user.name);

	return order ? order : ((*x)->line > (*y)->line) - ((*x)->line < (*y)->line);
}

/* Returns the entries sorted by name; marks each repeated name with the line of its first use. */
static struct entry **sort_and_mark_duplicates(struct parse *parse)
{
	struct entry **sorted = xcalloc(parse->count, sizeof *sorted);

	for (size_t i = 0; i < parse->count; i++)
		sorted[i] = &parse->entries[i];
	qsort(sorted, parse->count, sizeof *sorted, compare_entries);
	for (size_t i = 1; i < parse->count; i++)
		if (strcmp(sorted[i]->user.name, sorted[i - 1]->user.name) == 0)
			sorted[i]->first_line = sorted[i - 1]->first_line ? sorted[i - 1]->first_line : sorted[i - 1]->line;
	return sorted;
}

static void report_duplicates(struct parse *parse)
{
	char quoted[LOG_QUOTED_SIZE];

	for (size_t i = 0; i < parse->count; i++) {
		const struct entry *entry = &parse->entries[i];
		if (entry->first_line != 0)
			report(parse, entry->line, "duplicate user %s (first at line %u)",
			       log_quote(quoted, entry->user.name, strlen(entry->user.name)), entry->first_line);
	}
}

static struct config_user *take_sorted(struct parse *parse, struct entry **sorted)
{
	struct config_user *users = xcalloc(parse->count, sizeof *users);

	for (size_t i = 0; i < parse->count; i++)
		users[i] = sorted[i]->user;
	return users;
}

bool users_file_parse(const char *file_name, struct slice text, struct config_user **users, size_t *user_count,
                      struct buffer *errors)
{
	struct parse parse = {file_name, errors, NULL, 0, false};
	struct slice line;
	struct entry **sorted;
	unsigned number = 0;

	while (next_line(&text, &line)) {
		number++;
		if (!is_blank_or_comment(line))
			parse_line(&parse, line, number);
	}
	sorted = sort_and_mark_duplicates(&parse);
	report_duplicates(&parse);
	*users = NULL;
	*user_count = 0;
	if (!parse.failed) {
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
	return !parse.failed;
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
