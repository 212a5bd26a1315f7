/* tern_dkim: the `tern dkim` subcommand split over two files (tern_dkim.c: keygen, sign;
 * tern_dkim_verify.c: verify). */
#ifndef TERN_TERN_DKIM_H
#define TERN_TERN_DKIM_H

/* tern dkim verify [--resolver ADDR[:PORT]] < message: one line per signature. */
int tern_dkim_verify(int argc, char **argv);

#endif
