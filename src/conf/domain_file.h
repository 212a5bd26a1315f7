/* domain_file: what the two files each domain names, users_file and aliases_file, share: their
 * lines (LF or CRLF, blank and '#' comment lines skipped), their "FILE:LINE: message" problem
 * reports, and finding a name given twice. Pure: bytes in, no I/O. */
#ifndef TERN_DOMAIN_FILE_H
#define TERN_DOMAIN_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buffer.h"

/* Where the problems found in one file go. */
struct domain_file_errors {
	const char *file_name; /* the caller's; names the file in messages */
	struct buffer *out;    /* the caller's; gets one "FILE:LINE: message\n" line per problem */
	bool failed;           /* set by the first problem */
};

/* A name the file gives, as domain_file_sort_names orders it. */
struct domain_file_name {
	const char *name;    /* lower-case; borrowed from the caller's entry */
	unsigned line;       /* the line that gives it */
	size_t entry;        /* the caller's index of that entry, carried through the sort */
	unsigned first_line; /* set by domain_file_sort_names: the line that gave it first, or 0 */
};

/* What domain_file_parse_lines calls with each line that counts: its bytes (a view into the
 * text, without the LF or CRLF), its number from 1, and the caller's context. */
typedef void domain_file_line_function(struct slice line, unsigned number, void *context);

/* Splits text into lines ending in LF or CRLF (a last line without LF counts too) and calls
 * parse with each, skipping lines that hold only spaces and tabs or whose first other byte is
 * '#'. A CR not right before an LF stays in the line, for the caller to refuse. */
void domain_file_parse_lines(struct slice text, domain_file_line_function *parse, void *context);

/* Appends "FILE:LINE: message\n" (the message from format, cut at a fixed size that fits two
 * log_quote values) to errors->out and sets errors->failed. */
void domain_file_report(struct domain_file_errors *errors, unsigned line, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Finds a domain_file_name key_offset bytes into each of the count entries (entry_size bytes
 * each) of the caller's array at entries, as qsort(3) takes arrays. Returns pointers to those
 * names (an array of count, the caller frees it) sorted by name, and by line among equal
 * names, and sets first_line of each name given again to the line of its first use (0 for
 * the first use itself). The caller reports the repeats in its own words. */
struct domain_file_name **domain_file_sort_names(void *entries, size_t count, size_t entry_size, size_t key_offset);

#endif
