/* domain_file: the line format and checks that users_file.c and aliases_file.c share: splitting
 * text into LF- or CRLF-ended lines, skipping blank and '#' comment lines, reporting a problem
 * as "FILE:LINE: message", and sorting names to find the ones given twice.
 * It does not parse what is on a line (users_file.c, aliases_file.c), validate names
 * (users_file_name_problem) or read files (config.c). */
#include "conf/domain_file.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xalloc.h"

/* Room for a message with two log_quote values in it, and the words around them. */
#define DOMAIN_FILE_MESSAGE_SIZE (2 * LOG_QUOTED_SIZE + 200)

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

void domain_file_parse_lines(struct slice text, domain_file_line_function *parse, void *context)
{
	struct slice line;
	unsigned number = 0;

	while (next_line(&text, &line)) {
		number++;
		if (!is_blank_or_comment(line))
			parse(line, number, context);
	}
}

void domain_file_report(struct domain_file_errors *errors, unsigned line, const char *format, ...)
{
	va_list arguments;
	char message[DOMAIN_FILE_MESSAGE_SIZE];

	va_start(arguments, format);
	vsnprintf(message, sizeof message, format, arguments);
	va_end(arguments);
	buffer_printf(errors->out, "%s:%u: %s\n", errors->file_name, line, message);
	errors->failed = true;
}

static int compare_names(const void *a, const void *b)
{
	const struct domain_file_name *const *x = a, *const *y = b;
	int order = strcmp((*x)->name, (*y)->name);

	return order ? order : ((*x)->line > (*y)->line) - ((*x)->line < (*y)->line);
}

struct domain_file_name **domain_file_sort_names(void *entries, size_t count, size_t entry_size, size_t key_offset)
{
	struct domain_file_name **sorted = xcalloc(count, sizeof *sorted);

	for (size_t i = 0; i < count; i++)
		sorted[i] = (struct domain_file_name *)((char *)entries + i * entry_size + key_offset);
	qsort(sorted, count, sizeof *sorted, compare_names);
	for (size_t i = 1; i < count; i++)
		if (strcmp(sorted[i]->name, sorted[i - 1]->name) == 0)
			sorted[i]->first_line =
			    sorted[i - 1]->first_line ? sorted[i - 1]->first_line : sorted[i - 1]->line;
	return sorted;
}
