/* data_decoder: a streaming automaton from the octets after DATA (RFC 5321 §4.1.1.4) or in
 * BDAT chunks (RFC 3030 §2) to the message: dots unstuffed (§4.5.2), CRLF kept, the end
 * marker <CRLF>.<CRLF> recognised across any chunk boundary and nowhere else.
 * Bare CR, bare LF, NUL and over-long lines are recorded as error bits, never repaired and
 * never taken as line ends; after the first error nothing more is written, but input is
 * still consumed to the real end. Output is appended in runs: one buffer_append per stretch
 * of input copied unchanged, cut only where a byte is dropped (a stuffing dot, the marker,
 * a CR whose LF is still to come). It does not parse headers or know about SIZE limits
 * beyond the output buffer's maximum. */
#include "smtp/data_decoder.h"

#include <stdint.h>
#include <string.h>

/* Positions of the automaton (decoder->state). */
enum {
	AT_LINE_START,  /* nothing of the current line seen yet */
	IN_LINE,        /* inside a line */
	AFTER_CR,       /* a CR was seen inside a line; its LF decides what it was */
	AFTER_DOT,      /* DOT mode: a leading dot was dropped */
	AFTER_DOT_CR    /* DOT mode: "." CR at line start; an LF now ends the data */
};

/* One call of data_decoder_feed: the input and the start of the output run not yet
 * appended. Bytes [run_start, position) are copied to the output unchanged. */
struct feed {
	struct data_decoder *decoder;
	const unsigned char *data;
	size_t length;
	size_t position;
	size_t run_start;
};

void data_decoder_init(struct data_decoder *decoder, enum data_mode mode, struct buffer *output)
{
	decoder->mode = mode;
	decoder->output = output;
	decoder->errors = 0;
	decoder->has_8bit = false;
	decoder->ended = false;
	decoder->line_length = 0;
	decoder->state = AT_LINE_START;
}

/* Appends bytes unless an error already stopped the output. If the maximum is in the way the
 * buffer is filled to it, so the output never depends on how the input was split. */
static void output_bytes(struct data_decoder *decoder, const void *bytes, size_t count)
{
	struct buffer *output = decoder->output;

	if (decoder->errors != 0 || count == 0)
		return;
	if (!buffer_append(output, bytes, count)) {
		buffer_append(output, bytes, output->maximum - output->length);
		decoder->errors |= DATA_ERROR_TOO_BIG;
	}
}

/* Appends the pending run up to end (exclusive) and starts the next run there. */
static void output_run(struct feed *feed, size_t end)
{
	if (end <= feed->run_start)
		return;
	output_bytes(feed->decoder, feed->data + feed->run_start, end - feed->run_start);
	feed->run_start = end;
}

/* Records an error caused by the byte at offset at: what came before it is still output. */
static void record_error(struct feed *feed, unsigned error, size_t at)
{
	output_run(feed, at);
	feed->decoder->errors |= error;
}

/* Consumes the current byte without copying it (a stuffing dot, a byte of the end marker). */
static void drop_byte(struct feed *feed)
{
	output_run(feed, feed->position);
	feed->position++;
	feed->run_start = feed->position;
}

/* Counts count octets of line content starting at offset at. */
static void count_content(struct feed *feed, size_t at, size_t count)
{
	struct data_decoder *decoder = feed->decoder;

	if (decoder->line_length <= DATA_LINE_MAX && count > DATA_LINE_MAX - decoder->line_length) {
		/* RFC 5321 §4.5.3.1.6: at most 998 octets before CRLF */
		record_error(feed, DATA_ERROR_LINE_TOO_LONG, at + (DATA_LINE_MAX - decoder->line_length));
		decoder->line_length = DATA_LINE_MAX + 1;
	} else if (decoder->line_length <= DATA_LINE_MAX) {
		decoder->line_length += count;
	}
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGH_BITS UINT64_C(0x8080808080808080)

/* Whether some octet of word is below 0x0E, which covers NUL, LF and CR (and a few harmless
 * controls that then take the slow path). The classic "has less than" bit trick. */
static bool word_has_control(uint64_t word) { return ((word - ONES * 0x0E) & ~word & HIGH_BITS) != 0; }

/* Skips a run of octets that are copied as they are: anything but CR, LF and NUL. Eight
 * octets at a time while none of them is a control, then octet by octet. */
static void scan_ordinary(struct feed *feed)
{
	size_t start = feed->position, i = start;
	uint64_t seen = 0, word;

	for (; feed->length - i >= sizeof word; i += sizeof word) {
		memcpy(&word, feed->data + i, sizeof word);
		if (word_has_control(word))
			break;
		seen |= word;
	}
	for (; i < feed->length; i++) {
		unsigned char c = feed->data[i];
		if (c == '\r' || c == '\n' || c == '\0')
			break;
		seen |= c;
	}
	if (seen & HIGH_BITS)
		feed->decoder->has_8bit = true;
	feed->position = i;
	count_content(feed, start, i - start);
}

/* A byte inside a line. */
static void step_in_line(struct feed *feed)
{
	struct data_decoder *decoder = feed->decoder;
	unsigned char c = feed->data[feed->position];

	decoder->state = IN_LINE;
	if (c == '\r') {
		decoder->state = AFTER_CR; /* kept in the run; its LF decides */
		feed->position++;
	} else if (c == '\n') {
		record_error(feed, DATA_ERROR_BARE_LF, feed->position); /* RFC 5321 §2.3.8: only CRLF ends a line */
		count_content(feed, feed->position, 1);
		feed->position++;
	} else if (c == '\0') {
		record_error(feed, DATA_ERROR_NUL, feed->position); /* RFC 5321 §4.5.2: no NUL in text */
		count_content(feed, feed->position, 1);
		feed->position++;
	} else {
		scan_ordinary(feed);
	}
}

/* The byte after a CR inside a line. */
static void step_after_cr(struct feed *feed)
{
	struct data_decoder *decoder = feed->decoder;
	size_t cr_at = feed->position > 0 ? feed->position - 1 : 0;

	if (feed->data[feed->position] == '\n') {
		if (feed->position == 0) /* the CR came at the end of the previous input */
			output_bytes(decoder, "\r", 1);
		feed->position++; /* RFC 5321 §2.3.8: CRLF ends the line */
		decoder->line_length = 0;
		decoder->state = AT_LINE_START;
		return;
	}
	record_error(feed, DATA_ERROR_BARE_CR, cr_at); /* RFC 5321 §2.3.8: a CR without LF */
	count_content(feed, feed->position, 1);
	if (feed->data[feed->position] == '\r')
		feed->position++; /* this CR waits for its own LF */
	else
		step_in_line(feed);
}

/* The first byte of a line: in DOT mode a dot is dropped (RFC 5321 §4.5.2). */
static void step_line_start(struct feed *feed)
{
	if (feed->decoder->mode == DATA_MODE_DOT && feed->data[feed->position] == '.') {
		drop_byte(feed); /* RFC 5321 §4.5.2: remove the leading dot */
		feed->decoder->state = AFTER_DOT;
		return;
	}
	step_in_line(feed);
}

/* After a leading dot: CR may start the end marker; anything else is line content. The CR is
 * dropped: it either belongs to the marker or is bare, and then output has stopped anyway. */
static void step_after_dot(struct feed *feed)
{
	if (feed->data[feed->position] == '\r') {
		drop_byte(feed);
		feed->decoder->state = AFTER_DOT_CR;
		return;
	}
	step_in_line(feed);
}

/* After "." CR at the start of a line: LF completes <CRLF>.<CRLF> (RFC 5321 §4.1.1.4). */
static void step_after_dot_cr(struct feed *feed)
{
	struct data_decoder *decoder = feed->decoder;

	if (feed->data[feed->position] == '\n') {
		drop_byte(feed); /* RFC 5321 §4.1.1.4: <CRLF>.<CRLF> ends the mail data */
		decoder->ended = true;
		return;
	}
	record_error(feed, DATA_ERROR_BARE_CR, feed->position); /* RFC 5321 §2.3.8 */
	count_content(feed, feed->position, 1);
	if (feed->data[feed->position] == '\r') {
		feed->position++;
		decoder->state = AFTER_CR;
	} else {
		step_in_line(feed);
	}
}

static void step(struct feed *feed)
{
	switch (feed->decoder->state) {
	case AT_LINE_START:
		step_line_start(feed);
		break;
	case AFTER_CR:
		step_after_cr(feed);
		break;
	case AFTER_DOT:
		step_after_dot(feed);
		break;
	case AFTER_DOT_CR:
		step_after_dot_cr(feed);
		break;
	default:
		step_in_line(feed);
		break;
	}
}

size_t data_decoder_feed(struct data_decoder *decoder, struct slice input)
{
	struct feed feed = {decoder, (const unsigned char *)input.data, input.length, 0, 0};
	size_t end;

	if (decoder->ended)
		return 0;
	while (feed.position < feed.length && !decoder->ended)
		step(&feed);
	end = feed.position;
	if (decoder->state == AFTER_CR && end > feed.run_start)
		end--; /* a CR at the very end waits for the next input */
	output_run(&feed, end);
	return feed.position;
}

unsigned data_decoder_finish(struct data_decoder *decoder)
{
	if (decoder->mode != DATA_MODE_CHUNK)
		return decoder->errors;
	if (decoder->state == AFTER_CR) {
		decoder->errors |= DATA_ERROR_BARE_CR; /* RFC 5321 §2.3.8: the last CR has no LF */
		decoder->state = IN_LINE;
	}
	if (decoder->state != AT_LINE_START) {
		output_bytes(decoder, "\r\n", 2); /* RFC 3030 §2: the last chunk may end mid-line */
		decoder->line_length = 0;
		decoder->state = AT_LINE_START;
	}
	return decoder->errors;
}
