/* fuzz_command: libFuzzer harness for src/smtp/command.c, asserting properties, not only
 * survival. The line is copied into an exactly-sized buffer so ASan catches any read past it.
 * - the verb is always in range, and the argument always lies inside the line;
 * - COMMAND_OK means: no control byte anywhere, 8-bit bytes only for MAIL/RCPT, the line
 *   starts with the verb's name, verbs without arguments are alone on the line, a MAIL/RCPT
 *   address is clean, and a UTF-8 MAIL path came with SMTPUTF8;
 * - MAIL, RCPT and BDAT rebuilt from the parsed fields parse to the same fields;
 * - after a failure no half-parsed parameter is left; swapping ASCII case changes no result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/command.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(condition)                                                                                             \
	do {                                                                                                           \
		if (!(condition)) {                                                                                    \
			fprintf(stderr, "fuzz_command: property failed at line %d: %s\n", __LINE__, #condition);       \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

static bool line_has(const char *line, size_t size, bool (*predicate)(unsigned char))
{
	for (size_t i = 0; i < size; i++)
		if (predicate((unsigned char)line[i]))
			return true;
	return false;
}

static bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }
static bool is_8bit(unsigned char c) { return c >= 0x80; }

static bool takes_no_argument(enum command_verb verb)
{
	return verb == VERB_DATA || verb == VERB_RSET || verb == VERB_QUIT || verb == VERB_STARTTLS;
}

static void require_clean_string(const char *string, size_t array_size)
{
	const char *end = memchr(string, '\0', array_size);

	REQUIRE(end != NULL);
	for (const char *p = string; p < end; p++)
		REQUIRE((unsigned char)*p >= 0x20 && *p != 0x7F);
}

/* Parses a NUL-terminated line from an exactly-sized copy. */
static enum command_result parse_string(const char *string, struct command *command)
{
	size_t length = strlen(string);
	char *copy = malloc(length ? length : 1);
	enum command_result result;

	memcpy(copy, string, length);
	result = command_parse(slice_make(copy, length), command);
	free(copy);
	return result;
}

/* MAIL/RCPT rebuilt from what was parsed parse to the same address and parameters. */
static void require_path_rebuilds(const struct command *command)
{
	char formatted[ADDRESS_FORMAT_SIZE], line[ADDRESS_FORMAT_SIZE + 128];
	struct command again;

	address_format(&command->address, formatted, sizeof formatted);
	snprintf(line, sizeof line, "%s %s:<%s>%s%s%s%s", command->verb == VERB_MAIL ? "MAIL" : "RCPT",
	         command->verb == VERB_MAIL ? "FROM" : "TO", formatted, command->smtputf8 ? " SMTPUTF8" : "",
	         command->body == BODY_7BIT ? " BODY=7BIT" : "", command->body == BODY_8BITMIME ? " BODY=8BITMIME" : "",
	         command->has_size ? " SIZE=" : "");
	if (command->has_size)
		snprintf(line + strlen(line), sizeof line - strlen(line), "%llu", (unsigned long long)command->size);
	REQUIRE(parse_string(line, &again) == COMMAND_OK);
	REQUIRE(strcmp(again.address.local, command->address.local) == 0);
	REQUIRE(strcmp(again.address.domain, command->address.domain) == 0);
	REQUIRE(again.address.is_null == command->address.is_null);
	REQUIRE(again.address.is_postmaster == command->address.is_postmaster);
	REQUIRE(again.has_size == command->has_size && again.size == command->size);
	REQUIRE(again.body == command->body && again.smtputf8 == command->smtputf8);
}

static void require_bdat_rebuilds(const struct command *command)
{
	char line[64];
	struct command again;

	snprintf(line, sizeof line, "BDAT %llu%s", (unsigned long long)command->chunk_size,
	         command->last ? " LAST" : "");
	REQUIRE(parse_string(line, &again) == COMMAND_OK);
	REQUIRE(again.chunk_size == command->chunk_size && again.last == command->last);
}

static void require_ok_properties(const char *line, size_t size, const struct command *command)
{
	const char *name = command_verb_name(command->verb);
	size_t name_length = strlen(name);

	REQUIRE(command->verb != VERB_UNKNOWN);
	REQUIRE(!line_has(line, size, is_control));
	REQUIRE(command->verb == VERB_MAIL || command->verb == VERB_RCPT || !line_has(line, size, is_8bit));
	REQUIRE(size >= name_length && slice_equal_string_nocase(slice_make(line, name_length), name));
	REQUIRE(size == name_length || line[name_length] == ' ');
	if (takes_no_argument(command->verb))
		REQUIRE(size == name_length);
	if (command->argument.length > 0)
		REQUIRE(command->argument.data == line + name_length + 1 && command->argument.data[0] != ' ' &&
		        command->argument.data + command->argument.length == line + size);
	if (command->verb == VERB_MAIL || command->verb == VERB_RCPT) {
		REQUIRE(command->address_result == ADDRESS_OK);
		require_clean_string(command->address.local, sizeof command->address.local);
		require_clean_string(command->address.domain, sizeof command->address.domain);
		REQUIRE(command->verb == VERB_RCPT || !command->address.has_utf8 || command->smtputf8);
		REQUIRE(command->verb == VERB_MAIL || (!command->address.is_null && line[size - 1] == '>'));
		REQUIRE(command->verb == VERB_RCPT || !command->address.is_postmaster);
		require_path_rebuilds(command);
	}
	if (command->verb == VERB_BDAT)
		require_bdat_rebuilds(command);
}

static void require_failure_properties(enum command_result result, const struct command *command)
{
	REQUIRE(!command->has_size && command->size == 0 && command->body == BODY_UNSPECIFIED);
	REQUIRE(!command->smtputf8 && command->chunk_size == 0 && !command->last);
	REQUIRE((result == COMMAND_BAD_ADDRESS) == (command->address_result != ADDRESS_OK));
	if (result == COMMAND_BAD_ADDRESS)
		REQUIRE(command->verb == VERB_MAIL || command->verb == VERB_RCPT);
	if (result == COMMAND_UNKNOWN_VERB)
		REQUIRE(command->verb == VERB_UNKNOWN);
}

/* Every ASCII letter's case swapped: verbs, keywords and paths are all case-blind here. */
static char *swap_case(const char *line, size_t size)
{
	char *copy = malloc(size ? size : 1);

	for (size_t i = 0; i < size; i++) {
		char c = line[i];
		copy[i] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) ? (char)(c ^ 0x20) : c;
	}
	return copy;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1); /* exactly sized: ASan sees any read past the end */
	char *swapped;
	struct command command, other;
	enum command_result result;

	if (size > 0)
		memcpy(line, data, size);
	result = command_parse(slice_make(line, size), &command);
	REQUIRE(result <= COMMAND_BAD_PARAMETER);
	REQUIRE(command.verb < VERB_COUNT && command_verb_name(command.verb) != NULL);
	REQUIRE(command.argument.length <= size);
	REQUIRE(command.argument.length == 0 ||
	        (command.argument.data >= line && command.argument.data + command.argument.length <= line + size));
	if (result == COMMAND_OK)
		require_ok_properties(line, size, &command);
	else
		require_failure_properties(result, &command);
	swapped = swap_case(line, size);
	REQUIRE(command_parse(slice_make(swapped, size), &other) == result);
	REQUIRE(other.verb == command.verb);
	free(swapped);
	free(line);
	return 0;
}
