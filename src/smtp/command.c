/* command: splits one SMTP command line (CRLF already removed) into a verb and its arguments.
 * RFC 5321 §4.1.1 (verbs, exactly one SP before the argument), §4.1.2 (Mail-parameters,
 * esmtp-param), RFC 1870 §3 (SIZE), RFC 6152 §2 (BODY), RFC 6531 §3.4 (SMTPUTF8; UTF-8 only
 * inside paths), RFC 3030 §2 (BDAT). Paths are parsed by address.c.
 * It does not know session state, does not check EHLO's domain (the session does, with
 * address_domain_is_valid), and does not enforce the 512-octet line limit: the framing code
 * does, and an AUTH line with an initial response may be longer (RFC 4954 §4). */
#include "smtp/command.h"

#include <string.h>

#define SIZE_DIGITS_MAX 20 /* RFC 1870 §3: size-value ::= 1*20DIGIT */

/* What a verb takes after its SP. */
enum argument_rule {
	ARGUMENT_NONE,     /* DATA, RSET, QUIT, STARTTLS */
	ARGUMENT_REQUIRED, /* HELO, EHLO, VRFY, EXPN, AUTH */
	ARGUMENT_OPTIONAL, /* NOOP, HELP */
	ARGUMENT_OWN       /* MAIL, RCPT, BDAT: parsed by their own functions */
};

/* One esmtp-param, split at its first "=". */
struct parameter {
	struct slice keyword;
	struct slice value;
	bool has_value;
};

const char *command_verb_name(enum command_verb verb)
{
	static const char *const names[VERB_COUNT] = {
	    [VERB_UNKNOWN] = "UNKNOWN", [VERB_HELO] = "HELO",         [VERB_EHLO] = "EHLO", [VERB_MAIL] = "MAIL",
	    [VERB_RCPT] = "RCPT",       [VERB_DATA] = "DATA",         [VERB_BDAT] = "BDAT", [VERB_RSET] = "RSET",
	    [VERB_NOOP] = "NOOP",       [VERB_QUIT] = "QUIT",         [VERB_VRFY] = "VRFY", [VERB_EXPN] = "EXPN",
	    [VERB_HELP] = "HELP",       [VERB_STARTTLS] = "STARTTLS", [VERB_AUTH] = "AUTH",
	};

	if ((unsigned)verb >= VERB_COUNT)
		return names[VERB_UNKNOWN];
	return names[verb];
}

/* Verbs are case-insensitive (RFC 5321 §2.4). */
static enum command_verb verb_lookup(struct slice word)
{
	for (enum command_verb verb = VERB_UNKNOWN + 1; verb < VERB_COUNT; verb++)
		if (slice_equal_string_nocase(word, command_verb_name(verb)))
			return verb;
	return VERB_UNKNOWN;
}

static enum argument_rule verb_argument_rule(enum command_verb verb)
{
	switch (verb) {
	case VERB_DATA:
	case VERB_RSET:
	case VERB_QUIT:
	case VERB_STARTTLS:
		return ARGUMENT_NONE;
	case VERB_HELO:
	case VERB_EHLO:
	case VERB_VRFY:
	case VERB_EXPN:
	case VERB_AUTH:
		return ARGUMENT_REQUIRED;
	case VERB_NOOP:
	case VERB_HELP:
		return ARGUMENT_OPTIONAL;
	default:
		return ARGUMENT_OWN;
	}
}

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_let_dig(int c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* NUL, CR, LF, the other C0 controls and DEL: never part of a command (RFC 5321 §2.3.8, §4.1.1). */
static bool has_control(struct slice text)
{
	for (size_t i = 0; i < text.length; i++)
		if ((unsigned char)text.data[i] < 0x20 || text.data[i] == 0x7F)
			return true;
	return false;
}

static bool has_8bit(struct slice text)
{
	for (size_t i = 0; i < text.length; i++)
		if ((unsigned char)text.data[i] >= 0x80)
			return true;
	return false;
}

/* The text before the first "<", where a path would start. */
static struct slice before_path(struct slice text)
{
	long bracket = slice_find_byte(text, '<');
	return bracket < 0 ? text : slice_sub(text, 0, (size_t)bracket);
}

/* 1*DIGIT into *number; false if empty, not all digits, or past UINT64_MAX. */
static bool parse_number(struct slice text, uint64_t *number)
{
	*number = 0;
	if (text.length == 0)
		return false;
	for (size_t i = 0; i < text.length; i++) {
		unsigned digit = (unsigned)(text.data[i] - '0');
		if (!is_digit(text.data[i]) || *number > (UINT64_MAX - digit) / 10)
			return false;
		*number = *number * 10 + digit;
	}
	return true;
}

/* Verb and argument are separated by exactly one SP (RFC 5321 §4.1.1); says whether one was there. */
static bool split_verb(struct slice line, struct slice *word, struct slice *argument)
{
	long space = slice_find_byte(line, ' ');

	if (space < 0) {
		*word = line;
		return false;
	}
	*word = slice_sub(line, 0, (size_t)space);
	*argument = slice_skip(line, (size_t)space + 1);
	return true;
}

/* HELO, EHLO, VRFY, EXPN, AUTH need "SP argument"; NOOP, HELP may have one; the rest none. */
static enum command_result parse_text_argument(enum argument_rule rule, bool has_argument, struct slice argument,
                                               struct command *command)
{
	if (!has_argument)
		return rule == ARGUMENT_REQUIRED ? COMMAND_SYNTAX : COMMAND_OK;
	if (rule == ARGUMENT_NONE)
		return COMMAND_SYNTAX; /* RFC 5321 §4.1.1.4-.10: e.g. data = "DATA" CRLF */
	if (argument.length == 0 || argument.data[0] == ' ')
		return COMMAND_SYNTAX; /* RFC 5321 §4.1.1: exactly one SP, then a non-empty argument */
	command->argument = argument;
	return COMMAND_OK;
}

/* SIZE=1*20DIGIT (RFC 1870 §3), once. */
static enum command_result parse_size(struct parameter parameter, struct command *command)
{
	if (command->has_size || !parameter.has_value || parameter.value.length > SIZE_DIGITS_MAX)
		return COMMAND_BAD_PARAMETER;
	if (!parse_number(parameter.value, &command->size))
		return COMMAND_BAD_PARAMETER; /* RFC 1870 §3: digits only, and it must fit */
	command->has_size = true;
	return COMMAND_OK;
}

/* BODY=7BIT / BODY=8BITMIME (RFC 6152 §2), once. */
static enum command_result parse_body(struct parameter parameter, struct command *command)
{
	if (command->body != BODY_UNSPECIFIED || !parameter.has_value)
		return COMMAND_BAD_PARAMETER;
	if (slice_equal_string_nocase(parameter.value, "7BIT"))
		command->body = BODY_7BIT;
	else if (slice_equal_string_nocase(parameter.value, "8BITMIME"))
		command->body = BODY_8BITMIME;
	else
		return COMMAND_BAD_PARAMETER;
	return COMMAND_OK;
}

/* SMTPUTF8 takes no value (RFC 6531 §3.4), once. */
static enum command_result parse_smtputf8(struct parameter parameter, struct command *command)
{
	if (command->smtputf8 || parameter.has_value)
		return COMMAND_BAD_PARAMETER;
	command->smtputf8 = true;
	return COMMAND_OK;
}

/* AUTH=<mailbox as xtext> or AUTH=<> (RFC 4954 §5), once. The value is informational only:
 * tern never trusts an identity asserted by the client; it is checked, then ignored. */
static enum command_result parse_auth(struct parameter parameter, struct command *command)
{
	if (command->has_auth || !parameter.has_value)
		return COMMAND_BAD_PARAMETER;
	command->has_auth = true;
	return COMMAND_OK;
}

/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") (RFC 5321 §4.1.2) */
static bool is_esmtp_keyword(struct slice text)
{
	if (text.length == 0 || !is_let_dig((unsigned char)text.data[0]))
		return false;
	for (size_t i = 0; i < text.length; i++)
		if (!is_let_dig((unsigned char)text.data[i]) && text.data[i] != '-')
			return false;
	return true;
}

/* esmtp-value = 1*(%d33-60 / %d62-126) (RFC 5321 §4.1.2) */
static bool is_esmtp_value(struct slice text)
{
	if (text.length == 0)
		return false;
	for (size_t i = 0; i < text.length; i++) {
		unsigned char c = (unsigned char)text.data[i];
		if (c < 33 || c > 126 || c == '=')
			return false;
	}
	return true;
}

/* esmtp-param = esmtp-keyword ["=" esmtp-value] (RFC 5321 §4.1.2), then what it means. */
static enum command_result parse_parameter(struct slice text, bool is_mail, struct command *command)
{
	long equals = slice_find_byte(text, '=');
	struct parameter parameter = {text, slice_make(text.data, 0), equals >= 0};

	if (parameter.has_value) {
		parameter.keyword = slice_sub(text, 0, (size_t)equals);
		parameter.value = slice_skip(text, (size_t)equals + 1);
	}
	if (!is_esmtp_keyword(parameter.keyword) || (parameter.has_value && !is_esmtp_value(parameter.value)))
		return COMMAND_SYNTAX; /* RFC 5321 §4.1.2 esmtp-param */
	if (!is_mail)
		return COMMAND_UNKNOWN_PARAMETER; /* RFC 5321 §4.1.1.3: we offer no RCPT parameters */
	if (slice_equal_string_nocase(parameter.keyword, "SIZE"))
		return parse_size(parameter, command);
	if (slice_equal_string_nocase(parameter.keyword, "BODY"))
		return parse_body(parameter, command);
	if (slice_equal_string_nocase(parameter.keyword, "SMTPUTF8"))
		return parse_smtputf8(parameter, command);
	if (slice_equal_string_nocase(parameter.keyword, "AUTH"))
		return parse_auth(parameter, command);
	return COMMAND_UNKNOWN_PARAMETER; /* RFC 5321 §4.1.1.11: 555 for what we did not offer */
}

/* What follows the path: nothing, or SP esmtp-param *(SP esmtp-param) (RFC 5321 §4.1.2). */
static enum command_result parse_parameters(struct slice rest, bool is_mail, struct command *command)
{
	enum command_result result = COMMAND_OK;
	long space;

	if (rest.length == 0)
		return COMMAND_OK;
	if (has_8bit(rest))
		return COMMAND_BAD_BYTES; /* RFC 6531 §3.4: UTF-8 only inside the path */
	if (rest.data[0] != ' ')
		return COMMAND_SYNTAX; /* RFC 5321 §4.1.1.2: Path [SP Mail-parameters] */
	do {
		rest = slice_skip(rest, 1);
		space = slice_find_byte(rest, ' ');
		result = parse_parameter(space < 0 ? rest : slice_sub(rest, 0, (size_t)space), is_mail, command);
		rest = slice_skip(rest, space < 0 ? rest.length : (size_t)space);
	} while (result == COMMAND_OK && space >= 0);
	return result;
}

/* "FROM:" / "TO:", one tolerated SP, then the path, which *path gets; *rest is what follows. */
static enum command_result parse_path_argument(struct slice argument, const char *prefix, unsigned flags,
                                               struct command *command, struct slice *path, struct slice *rest)
{
	size_t consumed = 0;

	if (!slice_has_prefix_nocase(argument, prefix))
		return has_8bit(before_path(argument)) ? COMMAND_BAD_BYTES : COMMAND_SYNTAX;
	argument = slice_skip(argument, strlen(prefix));
	if (argument.length > 0 && argument.data[0] == ' ')
		argument = slice_skip(argument, 1); /* not RFC 5321, but widely sent: see command.h */
	command->address_result = address_parse_path(argument, flags, &command->address, &consumed);
	if (command->address_result != ADDRESS_OK)
		return COMMAND_BAD_ADDRESS;
	*path = slice_sub(argument, 0, consumed);
	*rest = slice_skip(argument, consumed);
	return COMMAND_OK;
}

/* mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] (RFC 5321 §4.1.1.2) */
static enum command_result parse_mail(struct slice argument, struct command *command)
{
	struct slice path, rest;
	enum command_result result;

	result = parse_path_argument(argument, "FROM:", ADDRESS_ALLOW_NULL | ADDRESS_ALLOW_UTF8, command, &path, &rest);
	if (result == COMMAND_OK)
		result = parse_parameters(rest, true, command);
	if (result == COMMAND_OK && has_8bit(path) && !command->smtputf8) {
		/* RFC 6531 §3.4: UTF-8 anywhere in the path, the dropped source route too, needs SMTPUTF8 */
		command->address_result = ADDRESS_UTF8_NOT_ALLOWED;
		result = COMMAND_BAD_ADDRESS;
	}
	return result;
}

/* rcpt = "RCPT TO:" ( "<Postmaster>" / Forward-path ) [SP Rcpt-parameters] (RFC 5321 §4.1.1.3) */
static enum command_result parse_rcpt(struct slice argument, struct command *command)
{
	struct slice path, rest;
	enum command_result result;

	result =
	    parse_path_argument(argument, "TO:", ADDRESS_ALLOW_POSTMASTER | ADDRESS_ALLOW_UTF8, command, &path, &rest);
	if (result == COMMAND_OK)
		result = parse_parameters(rest, false, command);
	return result;
}

/* bdat-cmd ::= "BDAT" SP chunk-size [ SP end-marker ], chunk-size ::= 1*DIGIT,
 * end-marker ::= "LAST" (RFC 3030 §2) */
static enum command_result parse_bdat(struct slice argument, bool has_argument, struct command *command)
{
	long space = slice_find_byte(argument, ' ');

	if (!has_argument)
		return COMMAND_SYNTAX;
	if (!parse_number(space < 0 ? argument : slice_sub(argument, 0, (size_t)space), &command->chunk_size))
		return COMMAND_SYNTAX; /* RFC 3030 §2 chunk-size; larger than 2^64-1 too */
	if (space < 0)
		return COMMAND_OK;
	if (!slice_equal_string_nocase(slice_skip(argument, (size_t)space + 1), "LAST"))
		return COMMAND_SYNTAX; /* RFC 3030 §2 end-marker */
	command->last = true;
	return COMMAND_OK;
}

/* After a failure only the verb and the path's result are meaningful: no half-parsed values. */
static enum command_result clear_on_failure(enum command_result result, struct command *command)
{
	if (result != COMMAND_OK) {
		command->has_size = false;
		command->size = 0;
		command->body = BODY_UNSPECIFIED;
		command->smtputf8 = false;
		command->has_auth = false;
		command->chunk_size = 0;
		command->last = false;
	}
	return result;
}

/* Everything but the clean-up of command_parse. */
static enum command_result parse_line(struct slice line, struct command *command)
{
	struct slice word, argument = slice_make(line.data, 0);
	bool has_argument;

	memset(command, 0, sizeof *command);
	command->argument = argument;
	has_argument = split_verb(line, &word, &argument);
	command->verb = verb_lookup(word); /* set even on failure, for the reply and the log */
	if (has_control(line))
		return COMMAND_BAD_BYTES; /* RFC 5321 §2.3.8: no NUL, bare CR or bare LF */
	if (command->verb != VERB_MAIL && command->verb != VERB_RCPT && has_8bit(line))
		return COMMAND_BAD_BYTES; /* RFC 5321 §2.4 ASCII commands; RFC 6531 §3.4 UTF-8 in paths only */
	switch (command->verb) {
	case VERB_UNKNOWN:
		return COMMAND_UNKNOWN_VERB; /* RFC 5321 §4.2.4: 500 */
	case VERB_MAIL:
		return has_argument ? parse_mail(argument, command) : COMMAND_SYNTAX;
	case VERB_RCPT:
		return has_argument ? parse_rcpt(argument, command) : COMMAND_SYNTAX;
	case VERB_BDAT:
		return parse_bdat(argument, has_argument, command);
	default:
		return parse_text_argument(verb_argument_rule(command->verb), has_argument, argument, command);
	}
}

enum command_result command_parse(struct slice line, struct command *command)
{
	return clear_on_failure(parse_line(line, command), command);
}
