/* test_rdata: record data from the wire (rdata.c): each type's layout (RFC 1035 §3.3-3.4,
 * RFC 3596 §2.2, RFC 6698 §2.1), names as lower-case text with RFC 1035 §5.1 escapes, and
 * every way the bytes can fail to add up (lengths, compression pointers, label and name
 * limits of RFC 1035 §2.3.4), which must be rejected, never repaired. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dns/rdata.h"

#define BYTES(literal) (const unsigned char *)(literal), sizeof(literal) - 1

static enum rdata_result parse(enum dns_type type, const unsigned char *data, size_t length, struct dns_record *record)
{
	memset(record, 0, sizeof *record);
	return rdata_parse(type, data, length, record);
}

static void rfc1035_3_3_9_mx(void)
{
	struct dns_record record;

	CHECK_INT(parse(DNS_MX,
	                BYTES("\x00\x0a\x03MX1\x07"
	                      "Example\x04TEST\x00"),
	                &record),
	          RDATA_OK);
	CHECK_INT(record.preference, 10);
	CHECK_STR(record.name, "mx1.example.test");
	CHECK_INT(parse(DNS_MX, BYTES("\x01\x00\x00"), &record), RDATA_OK); /* RFC 7505 null MX */
	CHECK_INT(record.preference, 256);
	CHECK_STR(record.name, "");
	CHECK_INT(parse(DNS_MX, BYTES("\x00\x0a"), &record), RDATA_MALFORMED);
	CHECK_INT(parse(DNS_MX, BYTES("\x00\x0a\x03mx1"), &record), RDATA_MALFORMED);         /* no root label */
	CHECK_INT(parse(DNS_MX, BYTES("\x00\x0a\x03mx1\x00\x00"), &record), RDATA_MALFORMED); /* trailing byte */
	CHECK_INT(parse(DNS_MX, BYTES("\x00\x0a\xc0\x0c"), &record), RDATA_MALFORMED);        /* pointer */
	CHECK_INT(parse(DNS_MX, BYTES("\x00\x0a\x05mx1\x00"), &record), RDATA_MALFORMED);     /* label past end */
}

static void rfc1035_5_1_escapes_in_names(void)
{
	struct dns_record record;

	CHECK_INT(parse(DNS_PTR,
	                BYTES("\x05"
	                      "a.b\\c"
	                      "\x04test\x00"),
	                &record),
	          RDATA_OK);
	CHECK_STR(record.name, "a\\.b\\\\c.test");
	CHECK_INT(parse(DNS_PTR,
	                BYTES("\x03"
	                      "a b"
	                      "\x02\x01\xff\x00"),
	                &record),
	          RDATA_OK);
	CHECK_STR(record.name, "a\\032b.\\001\\255");
}

static void rfc1035_2_3_4_label_and_name_limits(void)
{
	unsigned char wire[300];
	char text[DNS_NAME_MAX + 1];
	size_t length = 0;

	/* a label of 63 is fine, 64 is not */
	wire[0] = 63;
	memset(wire + 1, 'a', 63);
	wire[64] = 0;
	CHECK_INT(rdata_name_text(wire, 65, text), RDATA_OK);
	CHECK_INT(strlen(text), 63);
	wire[0] = 64;
	CHECK_INT(rdata_name_text(wire, 65, text), RDATA_MALFORMED);
	/* 255 octets on the wire is the most (4 labels of 62 and one of 5 and the root: 255) */
	for (int i = 0; i < 4; i++) {
		wire[length++] = 62;
		memset(wire + length, 'b', 62);
		length += 62;
	}
	wire[length++] = 1;
	wire[length++] = 'c';
	wire[length++] = 0;
	CHECK_INT(length, 255);
	CHECK_INT(rdata_name_text(wire, length, text), RDATA_OK);
	CHECK_INT(strlen(text), 253);
	wire[length - 1] = 1; /* one more label: 257 octets */
	wire[length++] = 'd';
	wire[length++] = 0;
	CHECK_INT(rdata_name_text(wire, length, text), RDATA_MALFORMED);
	/* escapes that would not fit the text form */
	length = 0;
	for (int i = 0; i < 4; i++) {
		wire[length++] = 62;
		memset(wire + length, ' ', 62);
		length += 62;
	}
	wire[length++] = 0;
	CHECK_INT(rdata_name_text(wire, length, text), RDATA_TOO_LONG);
}

static void rfc1035_3_4_1_a_and_rfc3596_2_2_aaaa(void)
{
	struct dns_record record;

	CHECK_INT(parse(DNS_A, BYTES("\xc0\x00\x02\x01"), &record), RDATA_OK);
	CHECK(memcmp(record.address, "\xc0\x00\x02\x01", 4) == 0);
	CHECK_INT(parse(DNS_A, BYTES("\xc0\x00\x02"), &record), RDATA_MALFORMED);
	CHECK_INT(parse(DNS_A, BYTES("\xc0\x00\x02\x01\x00"), &record), RDATA_MALFORMED);
	CHECK_INT(parse(DNS_AAAA, BYTES("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"), &record), RDATA_OK);
	CHECK_INT(record.address[15], 1);
	CHECK_INT(parse(DNS_AAAA, BYTES("\xc0\x00\x02\x01"), &record), RDATA_MALFORMED);
}

static void rfc7208_3_3_txt_strings_joined(void)
{
	struct dns_record record;

	CHECK_INT(parse(DNS_TXT, BYTES("\x07v=spf1 \x04-all"), &record), RDATA_OK);
	CHECK_STR(record.text, "v=spf1 -all");
	CHECK_INT(record.text_length, 11);
	rdata_record_clear(&record);
	CHECK_INT(parse(DNS_TXT, BYTES("\x00"), &record), RDATA_OK); /* one empty string */
	CHECK_STR(record.text, "");
	rdata_record_clear(&record);
	CHECK_INT(parse(DNS_TXT,
	                BYTES("\x03"
	                      "a\0b"),
	                &record),
	          RDATA_OK); /* kept: SPF rejects it later */
	CHECK_INT(record.text_length, 3);
	rdata_record_clear(&record);
	CHECK_INT(parse(DNS_TXT, (const unsigned char *)"", 0, &record), RDATA_MALFORMED);
	rdata_record_clear(&record);
	CHECK_INT(parse(DNS_TXT,
	                BYTES("\x05"
	                      "abc"),
	                &record),
	          RDATA_MALFORMED);
	rdata_record_clear(&record);
}

static void rfc6698_2_1_tlsa_raw(void)
{
	struct dns_record record;

	CHECK_INT(parse(DNS_TLSA, BYTES("\x03\x01\x01\xab\xcd"), &record), RDATA_OK);
	CHECK_INT(record.data_length, 5);
	CHECK(memcmp(record.data, "\x03\x01\x01\xab\xcd", 5) == 0);
	rdata_record_clear(&record);
	CHECK_INT(parse(DNS_TLSA, BYTES("\x03\x01"), &record), RDATA_MALFORMED);
	rdata_record_clear(&record);
}

static void names_normalized(void)
{
	char out[DNS_NAME_MAX + 1];

	rdata_name_normalize("MX.Example.TEST.", out);
	CHECK_STR(out, "mx.example.test");
	rdata_name_normalize(".", out);
	CHECK_STR(out, "");
	rdata_name_normalize("a\\.", out); /* an escaped dot is part of the label */
	CHECK_STR(out, "a\\.");
	CHECK_STR(rdata_type_name(DNS_TLSA), "TLSA");
	CHECK_STR(rdata_rcode_name(2), "SERVFAIL");
	CHECK(rdata_rcode_name(23) == NULL);
}

int main(void)
{
	RUN(rfc1035_3_3_9_mx);
	RUN(rfc1035_5_1_escapes_in_names);
	RUN(rfc1035_2_3_4_label_and_name_limits);
	RUN(rfc1035_3_4_1_a_and_rfc3596_2_2_aaaa);
	RUN(rfc7208_3_3_txt_strings_joined);
	RUN(rfc6698_2_1_tlsa_raw);
	RUN(names_normalized);
	return check_summary("test_rdata");
}
