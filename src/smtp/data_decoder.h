/* data_decoder: turns the bytes a client sends after DATA (RFC 5321 §4.1.1.4, dot-stuffing
 * §4.5.2) or inside BDAT chunks (RFC 3030) into the message, streaming, chunk by chunk.
 * Only <CRLF>.<CRLF> ends DATA; a bare LF or bare CR is never a line ending: it is recorded
 * as an error and decoding goes on to the real end, so one message is never split in two.
 * Pure: no I/O, no globals; output goes into a caller-owned buffer with a hard maximum. */
#ifndef TERN_DATA_DECODER_H
#define TERN_DATA_DECODER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buffer.h"

#define DATA_LINE_MAX 998 /* RFC 5321 §4.5.3.1.6: 1000 octets incl. CRLF */

enum data_mode {
	DATA_MODE_DOT,  /* DATA: dot-stuffed, ends at <CRLF>.<CRLF> */
	DATA_MODE_CHUNK /* BDAT: raw octets; the session feeds exactly the chunk */
};

/* Error bits, accumulated over the whole message. Once any is set, no more output is written
 * but the input is still consumed up to the end of data. */
#define DATA_ERROR_BARE_LF 1u       /* LF not preceded by CR */
#define DATA_ERROR_BARE_CR 2u       /* CR not followed by LF */
#define DATA_ERROR_NUL 4u           /* a NUL octet */
#define DATA_ERROR_LINE_TOO_LONG 8u /* a line longer than DATA_LINE_MAX octets */
#define DATA_ERROR_TOO_BIG 16u      /* the output buffer's maximum was reached */

struct data_decoder {
	enum data_mode mode;
	struct buffer *output; /* not owned */
	unsigned errors;
	bool has_8bit;         /* some octet >= 0x80 was seen */
	bool ended;            /* DATA_MODE_DOT: the end marker was consumed */
	size_t line_length;    /* octets of the current line so far (after unstuffing) */
	int state;             /* private: position in the line / end-marker automaton */
};

/* Starts decoding a message into output (which the caller has cleared). */
void data_decoder_init(struct data_decoder *decoder, enum data_mode mode, struct buffer *output);

/* Consumes bytes of input. In DATA_MODE_DOT it stops right after <CRLF>.<CRLF> (setting ended)
 * so that whatever follows stays with the caller; in DATA_MODE_CHUNK it consumes everything.
 * Returns the number of bytes consumed. The output holds the message with CRLF line endings,
 * dots unstuffed, without the end marker. */
size_t data_decoder_feed(struct data_decoder *decoder, struct slice input);

/* For DATA_MODE_CHUNK after the LAST chunk: checks the message ends cleanly. A CR pending at
 * the very end is a bare CR; a final line without CRLF gets CRLF appended (RFC 3030 §2 allows
 * the last chunk to end anywhere; the stored message always ends in CRLF). Returns errors. */
unsigned data_decoder_finish(struct data_decoder *decoder);

#endif
