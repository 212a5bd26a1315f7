/* fuzz_envelope: libFuzzer harness for the envelope decoder. Properties: decoding never
 * crashes or leaks; when it succeeds, encode(decoded) is exactly the input (the format has
 * one spelling), decodes to an equal envelope and re-encodes to identical text; and a write
 * cut short at an input-derived point is INCOMPLETE, never accepted. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/envelope.h"

#define PROPERTY(condition)                                                                                  \
	do {                                                                                                 \
		if (!(condition)) {                                                                          \
			fprintf(stderr, "property failed: %s (line %d)\n", #condition, __LINE__);             \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_recipient(const struct envelope_recipient *a, const struct envelope_recipient *b)
{
	return same_string(a->address, b->address) && same_string(a->mailbox, b->mailbox) && a->state == b->state &&
	       a->attempts == b->attempts && same_string(a->last_error, b->last_error);
}

static bool same_envelope(const struct envelope *a, const struct envelope *b)
{
	if (!same_string(a->id, b->id) || !same_string(a->sender, b->sender) || !same_string(a->client, b->client) ||
	    a->created != b->created || a->next_attempt != b->next_attempt || a->smtputf8 != b->smtputf8 ||
	    a->eightbit != b->eightbit || a->recipient_count != b->recipient_count)
		return false;
	for (size_t i = 0; i < a->recipient_count; i++)
		if (!same_recipient(&a->recipients[i], &b->recipients[i]))
			return false;
	return true;
}

static void check_round_trip(struct slice text, const struct envelope *decoded)
{
	struct buffer first, second;
	struct envelope again;

	buffer_init(&first, ENVELOPE_MAX_SIZE);
	buffer_init(&second, ENVELOPE_MAX_SIZE);
	PROPERTY(envelope_encode(decoded, &first));
	PROPERTY(slice_equal(buffer_slice(&first), text));
	PROPERTY(envelope_decode(buffer_slice(&first), &again) == ENVELOPE_OK);
	PROPERTY(same_envelope(decoded, &again));
	PROPERTY(envelope_encode(&again, &second));
	PROPERTY(slice_equal(buffer_slice(&first), buffer_slice(&second)));
	envelope_free(&again);
	buffer_free(&first);
	buffer_free(&second);
}

static void check_truncation(struct slice text)
{
	size_t cut = text.length > 0 ? (size_t)text.data[text.length / 2] * 7919 % text.length : 0;
	struct envelope truncated;

	PROPERTY(envelope_decode(slice_sub(text, 0, cut), &truncated) == ENVELOPE_INCOMPLETE);
	envelope_free(&truncated);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slice text = slice_make((const char *)data, size);
	struct envelope decoded;
	enum envelope_result result = envelope_decode(text, &decoded);

	PROPERTY(result == ENVELOPE_OK || result == ENVELOPE_INCOMPLETE || result == ENVELOPE_SYNTAX);
	if (result == ENVELOPE_OK) {
		check_round_trip(text, &decoded);
		check_truncation(text);
	}
	envelope_free(&decoded);
	return 0;
}
