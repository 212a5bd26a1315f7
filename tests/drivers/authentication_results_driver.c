/* authentication_results_driver: reads a message on standard input and prints, for each
 * Authentication-Results field of its header section, one line saying what
 * src/mailauth/authentication_results.h made of it, for the integration tests:
 *   authentication_results_driver AUTHSERV-ID < message
 *   field 0 id="mx.example.org" result=0 drop=1
 * (result is enum authentication_results_result; drop says whether §5 removes it for
 * AUTHSERV-ID). Exit 0, 1 when the header section does not parse, 2 on usage. */
#include <stdio.h>
#include <stdlib.h>

#include "mailauth/authentication_results.h"

#define MESSAGE_MAX (1 << 20)

int main(int argc, char **argv)
{
	static char message[MESSAGE_MAX];
	static struct header_fields fields;
	static size_t drop[HEADER_FIELDS_MAX];
	size_t length, count, next = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: authentication_results_driver AUTHSERV-ID < message\n");
		return 2;
	}
	length = fread(message, 1, sizeof message, stdin);
	if (header_fields_parse(slice_make(message, length), &fields) != HEADER_FIELDS_OK) {
		fprintf(stderr, "authentication_results_driver: the header section does not parse\n");
		return 1;
	}
	count = authentication_results_to_remove(&fields, argv[1], drop);
	for (long i = header_fields_find(&fields, "Authentication-Results", 0); i >= 0;
	     i = header_fields_find(&fields, "Authentication-Results", (size_t)i + 1)) {
		char id[AUTHENTICATION_RESULTS_ID_MAX + 1];
		enum authentication_results_result result = authentication_results_parse_id(fields.fields[i].value, id);
		bool dropped = next < count && drop[next] == (size_t)i;
		next += dropped;
		printf("field %ld id=\"%s\" result=%d drop=%d\n", i, id, (int)result, dropped);
	}
	return 0;
}
