/* rdata: the pure parser from DNS record data (uncompressed wire format, as libunbound hands
 * it over) to struct dns_record, and the text forms of names, types and rcodes the resolver
 * reports. No I/O: bytes in, a record or a verdict out. */
#ifndef TERN_RDATA_H
#define TERN_RDATA_H

#include <stddef.h>

#include "dns/resolver.h"

#define RDATA_LABEL_MAX     63  /* RFC 1035 §2.3.4 */
#define RDATA_WIRE_NAME_MAX 255 /* RFC 1035 §3.1: a name on the wire, length octets included */

enum rdata_result {
	RDATA_OK,
	RDATA_MALFORMED, /* lengths that do not add up, a compression pointer, a label over 63 */
	RDATA_TOO_LONG   /* a name whose text form (escapes included) exceeds DNS_NAME_MAX */
};

/* Parses one record of type from data (length bytes) into record, which the caller passes
 * zeroed and later releases with rdata_record_clear (also after a failure). A: 4 bytes; AAAA:
 * 16; MX: preference and name; PTR: name; TXT: the character-strings concatenated (RFC 7208
 * §3.3); TLSA: the raw bytes (at least usage, selector and matching type, RFC 6698 §2.1).
 * Names come out as rdata_name_text writes them. */
enum rdata_result rdata_parse(enum dns_type type, const unsigned char *data, size_t length, struct dns_record *record);
/* Frees what a parsed record owns (text, data). */
void rdata_record_clear(struct dns_record *record);

/* Writes the wire name at data (exactly length bytes, the root label last) as text into out
 * (DNS_NAME_MAX + 1 bytes): labels joined by dots, ASCII lower-cased, no trailing dot, "" for
 * the root; '.' and '\' inside a label as "\." and "\\", other bytes outside 0x21-0x7e as
 * "\DDD" (RFC 1035 §5.1), so the text resolves back to the same name. */
enum rdata_result rdata_name_text(const unsigned char *data, size_t length, char out[DNS_NAME_MAX + 1]);

/* Normalizes a name in text form (lower case, no trailing dot) into out (DNS_NAME_MAX + 1
 * bytes), truncating what does not fit. */
void rdata_name_normalize(const char *name, char out[DNS_NAME_MAX + 1]);

/* "A", "MX", ... */
const char *rdata_type_name(enum dns_type type);
/* "SERVFAIL" and the like (RFC 1035 §4.1.1), or NULL for a code without a name here. */
const char *rdata_rcode_name(int rcode);

#endif
