/* config_lexer: tokens of the config grammar described in config.h: bare words, "quoted
 * strings" with \" and \\ as the only escapes, braces, and ends of lines. '#' outside quotes
 * starts a comment that runs to the end of the line. Lines end in LF or CRLF; a bare CR, NUL
 * or other control character (tab aside) is an error, never whitespace.
 * It does not know directives, argument counts or blocks: that is config.c's job. */
#include "conf/config_lexer.h"

#include <stdio.h>
#include <string.h>

void config_lexer_init(struct config_lexer *lexer, struct slice input)
{
	lexer->input = input;
	lexer->position = 0;
	lexer->line = 1;
	buffer_init(&lexer->text, CONFIG_LEXER_TOKEN_MAX);
	lexer->message[0] = '\0';
}

void config_lexer_free(struct config_lexer *lexer) { buffer_free(&lexer->text); }

static int peek(const struct config_lexer *lexer, size_t ahead)
{
	size_t at = lexer->position + ahead;
	return at < lexer->input.length ? (unsigned char)lexer->input.data[at] : -1;
}

static bool is_control(int c) { return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f; }

/* Ends a word: whitespace, a line end, a character with its own meaning, or a control. */
static bool ends_word(int c)
{
	return c < 0 || c == ' ' || c == '\t' || c == '{' || c == '}' || c == '"' || c == '#' || is_control(c);
}

static enum config_token_kind fail(struct config_lexer *lexer, struct config_token *token, const char *message)
{
	snprintf(lexer->message, sizeof lexer->message, "%s", message);
	while (peek(lexer, 0) >= 0 && peek(lexer, 0) != '\n')
		lexer->position++;
	/* A CR right before the LF belongs to the line ending, not to the skipped text. */
	if (lexer->position > 0 && peek(lexer, 0) == '\n' && lexer->input.data[lexer->position - 1] == '\r')
		lexer->position--;
	token->kind = CONFIG_TOKEN_ERROR;
	token->message = lexer->message;
	return token->kind;
}

static enum config_token_kind fail_control(struct config_lexer *lexer, struct config_token *token, int c)
{
	char message[64];

	if (c == '\r')
		snprintf(message, sizeof message, "bare carriage return (CR without LF)");
	else
		snprintf(message, sizeof message, "control character 0x%02x", (unsigned)c);
	return fail(lexer, token, message);
}

static bool append(struct config_lexer *lexer, int c)
{
	char byte = (char)c;
	return buffer_append(&lexer->text, &byte, 1);
}

static enum config_token_kind finish_text(struct config_lexer *lexer, struct config_token *token,
                                          enum config_token_kind kind)
{
	token->kind = kind;
	token->text = buffer_slice(&lexer->text);
	return kind;
}

static enum config_token_kind lex_word(struct config_lexer *lexer, struct config_token *token)
{
	while (!ends_word(peek(lexer, 0))) {
		if (!append(lexer, peek(lexer, 0)))
			return fail(lexer, token, "word longer than 4096 bytes");
		lexer->position++;
	}
	return finish_text(lexer, token, CONFIG_TOKEN_WORD);
}

/* Handles the byte after a backslash inside a quoted string. */
static enum config_token_kind lex_escape(struct config_lexer *lexer, struct config_token *token)
{
	int c = peek(lexer, 1);
	char message[64];

	if (c == '"' || c == '\\') {
		lexer->position += 2;
		return append(lexer, c) ? CONFIG_TOKEN_STRING : fail(lexer, token, "quoted string longer than 4096 bytes");
	}
	if (c < 0 || c == '\n' || c == '\r')
		return fail(lexer, token, "unterminated quoted string");
	if (c > 0x20 && c < 0x7f)
		snprintf(message, sizeof message, "unknown escape \\%c in quoted string (only \\\" and \\\\)", c);
	else
		snprintf(message, sizeof message, "unknown escape in quoted string (only \\\" and \\\\)");
	return fail(lexer, token, message);
}

static enum config_token_kind lex_string(struct config_lexer *lexer, struct config_token *token)
{
	lexer->position++; /* the opening quote */
	for (;;) {
		int c = peek(lexer, 0);
		if (c < 0 || c == '\n' || (c == '\r' && peek(lexer, 1) == '\n'))
			return fail(lexer, token, "unterminated quoted string");
		if (c == '"') {
			lexer->position++;
			return finish_text(lexer, token, CONFIG_TOKEN_STRING);
		}
		if (c == '\\') {
			if (lex_escape(lexer, token) == CONFIG_TOKEN_ERROR)
				return CONFIG_TOKEN_ERROR;
			continue;
		}
		if (is_control(c))
			return fail_control(lexer, token, c);
		if (!append(lexer, c))
			return fail(lexer, token, "quoted string longer than 4096 bytes");
		lexer->position++;
	}
}

static void skip_blanks_and_comment(struct config_lexer *lexer)
{
	while (peek(lexer, 0) == ' ' || peek(lexer, 0) == '\t')
		lexer->position++;
	if (peek(lexer, 0) == '#')
		while (peek(lexer, 0) >= 0 && peek(lexer, 0) != '\n' && !(peek(lexer, 0) == '\r' && peek(lexer, 1) == '\n'))
			lexer->position++;
}

static enum config_token_kind lex_end_of_file(struct config_lexer *lexer, struct config_token *token)
{
	struct slice input = lexer->input;
	bool ends_with_newline = input.length > 0 && input.data[input.length - 1] == '\n';

	token->kind = CONFIG_TOKEN_END_OF_FILE;
	token->line = ends_with_newline && lexer->line > 1 ? lexer->line - 1 : lexer->line;
	return token->kind;
}

static enum config_token_kind lex_end_of_line(struct config_lexer *lexer, struct config_token *token)
{
	lexer->position += peek(lexer, 0) == '\r' ? 2 : 1;
	lexer->line++;
	token->kind = CONFIG_TOKEN_END_OF_LINE;
	return token->kind;
}

static enum config_token_kind lex_brace(struct config_lexer *lexer, struct config_token *token, int c)
{
	lexer->position++;
	token->kind = c == '{' ? CONFIG_TOKEN_OPEN_BRACE : CONFIG_TOKEN_CLOSE_BRACE;
	return token->kind;
}

enum config_token_kind config_lexer_next(struct config_lexer *lexer, struct config_token *token)
{
	int c;

	memset(token, 0, sizeof *token);
	buffer_clear(&lexer->text);
	skip_blanks_and_comment(lexer);
	c = peek(lexer, 0);
	token->line = lexer->line;
	if (c < 0)
		return lex_end_of_file(lexer, token);
	if (c == '\n' || (c == '\r' && peek(lexer, 1) == '\n'))
		return lex_end_of_line(lexer, token);
	if (c == '{' || c == '}')
		return lex_brace(lexer, token, c);
	if (c == '"')
		return lex_string(lexer, token);
	if (is_control(c))
		return fail_control(lexer, token, c);
	return lex_word(lexer, token);
}
