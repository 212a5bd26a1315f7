/* tern_input: a message on standard input for the commands that read one (tern dkim sign and
 * verify, tern auth), as the daemon would hold it: CRLF line endings. */
#include "cmd/tern_input.h"

#include <stdio.h>
#include <string.h>

int tern_input_read_message(struct buffer *message)
{
	char chunk[65536];
	size_t got;
	struct buffer converted;

	while ((got = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		if (!buffer_append(message, chunk, got)) {
			fprintf(stderr, "tern: the message is over %u octets\n", TERN_INPUT_MESSAGE_MAX);
			return -1;
		}
	if (ferror(stdin) || memchr(message->data ? message->data : "", '\r', message->length) != NULL)
		return ferror(stdin) ? -1 : 0;
	buffer_init(&converted, TERN_INPUT_MESSAGE_MAX * 2);
	for (size_t i = 0; i < message->length; i++)
		if ((message->data[i] == '\n' && !buffer_append(&converted, "\r", 1)) ||
		    !buffer_append(&converted, &message->data[i], 1)) {
			buffer_free(&converted);
			return -1;
		}
	buffer_free(message);
	*message = converted;
	return 0;
}
