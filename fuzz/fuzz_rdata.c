/* fuzz_rdata: record data from DNS answers is untrusted. The first byte picks the type, the
 * rest is rdata. Properties: parsing reads only inside the input (an exact-size copy); a name
 * that parses is NUL-terminated within DNS_NAME_MAX, has no trailing dot, is stable under
 * rdata_name_normalize, and TXT text has exactly text_length octets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/rdata.h"

static const enum dns_type types[] = {DNS_A, DNS_PTR, DNS_MX, DNS_TXT, DNS_AAAA, DNS_TLSA};

static void check_name(const char *name)
{
	char normalized[DNS_NAME_MAX + 1];
	size_t length = strnlen(name, DNS_NAME_MAX + 1);

	if (length > DNS_NAME_MAX || (length > 1 && name[length - 1] == '.' && name[length - 2] != '\\'))
		abort();
	rdata_name_normalize(name, normalized);
	if (strcmp(normalized, name) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_record record;
	unsigned char *copy;

	if (size == 0)
		return 0;
	copy = malloc(size - 1 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	memset(&record, 0, sizeof record);
	if (rdata_parse(types[data[0] % 6], copy, size - 1, &record) == RDATA_OK) {
		if (record.type == DNS_MX || record.type == DNS_PTR)
			check_name(record.name);
		if (record.type == DNS_TXT && (record.text == NULL || strlen(record.text) > record.text_length))
			abort();
	}
	rdata_record_clear(&record);
	free(copy);
	return 0;
}
