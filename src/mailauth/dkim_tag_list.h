/* dkim_tag_list: the tag-list of RFC 6376 §3.2, the syntax the DKIM-Signature field
 * (dkim_signature), the key record (dkim_key) and the DMARC record (dmarc_record, RFC 7489 §6.4)
 * are written in: tag=value specs separated by ";", FWS around names and values, names
 * case-sensitive (DMARC: not) and never repeated. It checks the
 * grammar and hands each tag to the caller; what a tag means is the caller's. Pure: no I/O,
 * no globals; names and values are views into the caller's bytes. */
#ifndef TERN_DKIM_TAG_LIST_H
#define TERN_DKIM_TAG_LIST_H

#include <stdbool.h>

#include "util/buffer.h"

#define DKIM_TAG_LIST_TAGS_MAX 64 /* tag-specs per list: a sane cap (14 are defined, §3.5) */

enum dkim_tag_list_result {
	DKIM_TAG_LIST_OK,
	DKIM_TAG_LIST_BAD_SYNTAX, /* a byte outside the grammar, a spec without "=", a name that is
	                           * not ALPHA *ALNUMPUNC, an empty spec before the last, or more
	                           * than DKIM_TAG_LIST_TAGS_MAX specs */
	DKIM_TAG_LIST_DUPLICATE,  /* §3.2: tags with duplicate names MUST NOT occur */
	DKIM_TAG_LIST_REFUSED,    /* the caller's callback refused a tag */
};

/* Called for each tag in order, name and value with the FWS around them removed (the value
 * may still hold FWS inside). Returns false to refuse the tag and stop. */
typedef bool (*dkim_tag_list_callback)(struct slice name, struct slice value, void *context);

/* Walks list: every byte must be VALCHAR, ";", "=", WSP, or CRLF followed by WSP (FWS, RFC
 * 5322 §3.2.2); tag-spec *(";" tag-spec) [";"], where only the last spec may be empty. On
 * failure *error_tag names the tag at fault when there is one (it is left alone otherwise). */
enum dkim_tag_list_result dkim_tag_list_parse(struct slice list, dkim_tag_list_callback tag, void *context,
                                              struct slice *error_tag);
/* The same for DMARC records (RFC 7489 §6.4 follows this syntax, but its ABNF names are
 * case-insensitive, RFC 5234 §2.3): "P=" and "p=" are one tag, so both is a duplicate. */
enum dkim_tag_list_result dkim_tag_list_parse_nocase(struct slice list, dkim_tag_list_callback tag, void *context,
                                                     struct slice *error_tag);

/* WSP, CR or LF: the bytes FWS is made of. */
bool dkim_tag_list_is_fws(char c);

/* s without the FWS bytes at either end. */
struct slice dkim_tag_list_trim(struct slice s);

#endif
