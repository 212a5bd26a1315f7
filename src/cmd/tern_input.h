/* tern_input: reading the message a tern command is given on standard input. */
#ifndef TERN_TERN_INPUT_H
#define TERN_TERN_INPUT_H

#include "util/buffer.h"

#define TERN_INPUT_MESSAGE_MAX (64u * 1024 * 1024) /* octets read from standard input */

/* Reads standard input whole into message (initialized with maximum TERN_INPUT_MESSAGE_MAX);
 * with no CR in it, every LF becomes CRLF (a Unix text file). Returns 0, or -1 with why on
 * stderr. */
int tern_input_read_message(struct buffer *message);

#endif
