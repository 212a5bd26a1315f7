/* header_fold: writing a header field that we fold ourselves (RFC 5322 §2.2.3, §2.1.1: lines
 * of at most 78 characters), as the DKIM-Signature and Authentication-Results fields are: a
 * cursor over an output buffer that knows its column. Pure. */
#ifndef TERN_HEADER_FOLD_H
#define TERN_HEADER_FOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buffer.h"

#define HEADER_FOLD_TAB_COLUMNS 8 /* a folding TAB counted as the widest a reader may show it */

/* Where a field being written stands; ok turns false, for good, once out's maximum is hit. */
struct header_fold {
	struct buffer *out;
	size_t column;
	bool ok;
};

/* A cursor at the start of a line of out. */
struct header_fold header_fold_start(struct buffer *out);
/* Appends length octets of text on the current line. */
void header_fold_put(struct header_fold *fold, const char *text, size_t length);
/* Ends the line with a fold: CRLF and a TAB (FWS, §3.2.2). */
void header_fold_new_line(struct header_fold *fold);

#endif
