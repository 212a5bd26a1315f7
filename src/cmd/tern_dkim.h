/* tern_dkim: what the `tern dkim` subcommands share (tern_dkim.c: keygen, sign;
 * tern_dkim_verify.c: verify). */
#ifndef TERN_TERN_DKIM_H
#define TERN_TERN_DKIM_H

#include "util/buffer.h"

#define MESSAGE_MAX (64u * 1024 * 1024) /* octets read from standard input */

/* Reads standard input whole into message (initialized with maximum MESSAGE_MAX); with no CR
 * in it, every LF becomes CRLF (a Unix text file). Returns 0, or -1 with why on stderr. */
int tern_dkim_read_message(struct buffer *message);

/* tern dkim verify [--resolver ADDR[:PORT]] < message: one line per signature. */
int tern_dkim_verify(int argc, char **argv);

#endif
