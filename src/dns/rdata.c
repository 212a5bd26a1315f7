/* rdata: record data from the wire into struct dns_record. Formats: A (RFC 1035 §3.4.1),
 * AAAA (RFC 3596 §2.2), MX (RFC 1035 §3.3.9), PTR (§3.3.12), TXT (§3.3.14, strings joined as
 * RFC 7208 §3.3 reads them), TLSA (RFC 6698 §2.1, kept raw). Names must be uncompressed
 * (RFC 3597 §4 forbids compression in new types; libunbound expands the old ones).
 * Rejects what does not add up and never repairs it. Not here: any other type, DNSSEC. */
#include "dns/rdata.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static bool name_byte_needs_escape(unsigned char byte)
{
	return byte < 0x21 || byte > 0x7e || byte == '.' || byte == '\\';
}

/* Appends one label to out (used bytes in *used); false when it does not fit. */
static bool append_label(const unsigned char *label, size_t length, char *out, size_t *used)
{
	char piece[5];

	if (*used > 0 && *used + 1 <= DNS_NAME_MAX)
		out[(*used)++] = '.';
	else if (*used > 0)
		return false;
	for (size_t i = 0; i < length; i++) {
		unsigned char byte = label[i];
		if (byte >= 'A' && byte <= 'Z')
			byte = (unsigned char)(byte - 'A' + 'a');
		if (byte == '.' || byte == '\\')
			snprintf(piece, sizeof piece, "\\%c", byte);
		else if (name_byte_needs_escape(byte))
			snprintf(piece, sizeof piece, "\\%03u", byte); /* RFC 1035 §5.1 \DDD */
		else
			piece[0] = (char)byte, piece[1] = '\0';
		size_t piece_length = strlen(piece);
		if (*used + piece_length > DNS_NAME_MAX)
			return false;
		memcpy(out + *used, piece, piece_length);
		*used += piece_length;
	}
	return true;
}

/* Text of the wire name at the start of data; *consumed says how many bytes it took. */
static enum rdata_result name_at(const unsigned char *data, size_t length, char out[DNS_NAME_MAX + 1], size_t *consumed)
{
	size_t offset = 0, used = 0;

	for (;;) {
		if (offset >= length || offset >= RDATA_WIRE_NAME_MAX)
			return RDATA_MALFORMED;
		size_t label = data[offset++];
		if (label == 0)
			break;
		if (label > RDATA_LABEL_MAX || offset + label > length)
			return RDATA_MALFORMED; /* also a compression pointer (0xC0), RFC 1035 §4.1.4 */
		if (!append_label(data + offset, label, out, &used))
			return RDATA_TOO_LONG;
		offset += label;
	}
	out[used] = '\0';
	*consumed = offset;
	return RDATA_OK;
}

enum rdata_result rdata_name_text(const unsigned char *data, size_t length, char out[DNS_NAME_MAX + 1])
{
	size_t consumed;
	enum rdata_result result = name_at(data, length, out, &consumed);

	if (result == RDATA_OK && consumed != length)
		return RDATA_MALFORMED;
	return result;
}

static enum rdata_result parse_txt(const unsigned char *data, size_t length, struct dns_record *record)
{
	size_t offset = 0;

	if (length == 0)
		return RDATA_MALFORMED; /* RFC 1035 §3.3.14: one or more character-strings */
	record->text = xmalloc(length + 1);
	while (offset < length) {
		size_t piece = data[offset++];
		if (offset + piece > length)
			return RDATA_MALFORMED;
		memcpy(record->text + record->text_length, data + offset, piece);
		record->text_length += piece;
		offset += piece;
	}
	record->text[record->text_length] = '\0';
	return RDATA_OK;
}

enum rdata_result rdata_parse(enum dns_type type, const unsigned char *data, size_t length, struct dns_record *record)
{
	record->type = type;
	switch (type) {
	case DNS_A:
	case DNS_AAAA:
		if (length != (type == DNS_A ? 4u : 16u))
			return RDATA_MALFORMED;
		memcpy(record->address, data, length);
		return RDATA_OK;
	case DNS_MX:
		if (length < 3)
			return RDATA_MALFORMED;
		record->preference = (uint16_t)(data[0] << 8 | data[1]);
		return rdata_name_text(data + 2, length - 2, record->name);
	case DNS_PTR:
		return rdata_name_text(data, length, record->name);
	case DNS_TXT:
		return parse_txt(data, length, record);
	case DNS_TLSA:
		if (length < 3)
			return RDATA_MALFORMED;
		record->data = xmalloc(length);
		memcpy(record->data, data, length);
		record->data_length = length;
		return RDATA_OK;
	}
	return RDATA_MALFORMED;
}

void rdata_record_clear(struct dns_record *record)
{
	free(record->text);
	free(record->data);
	record->text = NULL;
	record->data = NULL;
}

void rdata_name_normalize(const char *name, char out[DNS_NAME_MAX + 1])
{
	size_t length = strlen(name);

	if (length > 0 && name[length - 1] == '.' && (length < 2 || name[length - 2] != '\\'))
		length--;
	if (length > DNS_NAME_MAX)
		length = DNS_NAME_MAX;
	for (size_t i = 0; i < length; i++)
		out[i] = (name[i] >= 'A' && name[i] <= 'Z') ? (char)(name[i] - 'A' + 'a') : name[i];
	out[length] = '\0';
}

const char *rdata_type_name(enum dns_type type)
{
	switch (type) {
	case DNS_A:
		return "A";
	case DNS_PTR:
		return "PTR";
	case DNS_MX:
		return "MX";
	case DNS_TXT:
		return "TXT";
	case DNS_AAAA:
		return "AAAA";
	case DNS_TLSA:
		return "TLSA";
	}
	return "?";
}

const char *rdata_rcode_name(int rcode)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"};

	if (rcode >= 0 && (size_t)rcode < sizeof names / sizeof *names)
		return names[rcode];
	return NULL;
}
