/* config_lexer: splits the text of a config file into tokens for config.c. Pure: works on
 * bytes in memory, no I/O, no allocation beyond its own token buffer. */
#ifndef TERN_CONFIG_LEXER_H
#define TERN_CONFIG_LEXER_H

#include <stddef.h>

#include "util/buffer.h"

/* The longest word or quoted string (after unescaping), enough for any path (PATH_MAX). */
#define CONFIG_LEXER_TOKEN_MAX 4096

enum config_token_kind {
	CONFIG_TOKEN_WORD,        /* a bare word: bytes up to whitespace, '{', '}', '"' or '#' */
	CONFIG_TOKEN_STRING,      /* a "quoted string", unescaped (\" and \\ are the only escapes) */
	CONFIG_TOKEN_OPEN_BRACE,  /* '{' */
	CONFIG_TOKEN_CLOSE_BRACE, /* '}' */
	CONFIG_TOKEN_END_OF_LINE, /* LF or CRLF; a '#' comment before it is skipped */
	CONFIG_TOKEN_END_OF_FILE,
	CONFIG_TOKEN_ERROR        /* see message; the rest of the line has been skipped */
};

struct config_token {
	enum config_token_kind kind;
	/* The line the token starts on (1-based). For END_OF_FILE: the last line of the file
	 * (1 for an empty file), where file-wide problems are reported. */
	unsigned line;
	/* WORD and STRING: the text, valid until the next config_lexer_next call. */
	struct slice text;
	/* ERROR: what is wrong, valid until the next call. */
	const char *message;
};

struct config_lexer {
	struct slice input;
	size_t position;
	unsigned line;
	struct buffer text; /* the current token's unescaped text */
	char message[96];
};

/* Starts lexing input, which must outlive the lexer. */
void config_lexer_init(struct config_lexer *lexer, struct slice input);
/* Releases the token buffer. */
void config_lexer_free(struct config_lexer *lexer);
/* Reads the next token into *token and returns its kind. Errors: an unterminated string, an
 * unknown escape, a control character (NUL, bare CR, ...), a token over CONFIG_LEXER_TOKEN_MAX.
 * After an error the next token is the END_OF_LINE (or END_OF_FILE) of the same line.
 * END_OF_FILE repeats on every further call. */
enum config_token_kind config_lexer_next(struct config_lexer *lexer, struct config_token *token);

#endif
