/* dynamic_name: the generic-rDNS heuristic. The words are looked for as whole letter runs
 * of the labels left of the registered-looking last two, so a provider called cable.example
 * is not suspect for its own name; the octets as four digit runs in a row (either order) or
 * as eight hex digits, anywhere but in the last two labels. */
#include "check/dynamic_name.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DYNAMIC_NAME_MAX 255 /* RFC 1035 §2.3.4 */

/* Words of ISPs' generic names. */
static const char *const dynamic_words[] = {
    "dyn",         "dynamic", "dhcp",    "pool",    "dsl",   "adsl",      "vdsl",     "xdsl",     "cable",
    "dial",        "dialup",  "dialin",  "ppp",     "pppoe", "broadband", "cust",     "customer", "res",
    "residential", "home",    "client",  "clients", "cpe",   "mobile",    "wireless", "ftth",     "fttx",
    "unassigned",  "static",  "generic", "hsd",     "catv",  "modem",     NULL};

static bool is_word(const char *run, size_t length)
{
	for (size_t i = 0; dynamic_words[i] != NULL; i++)
		if (strlen(dynamic_words[i]) == length && strncasecmp(run, dynamic_words[i], length) == 0)
			return true;
	return false;
}

static bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Where the last two labels start (the whole name when it has fewer than three). */
static size_t host_part_length(const char *name, size_t length)
{
	size_t dots = 0;

	for (size_t i = length; i > 0; i--)
		if (name[i - 1] == '.' && ++dots == 2)
			return i - 1;
	return 0;
}

static bool has_word(const char *name, size_t length, char *why, size_t size)
{
	for (size_t i = 0; i < length;) {
		size_t start = i;
		if (!is_letter(name[i])) {
			i++;
			continue;
		}
		while (i < length && is_letter(name[i]))
			i++;
		if (is_word(name + start, i - start)) {
			snprintf(why, size, "the word \"%.*s\" (ISPs use it for dynamic or residential addresses)",
			         (int)(i - start), name + start);
			return true;
		}
	}
	return false;
}

/* The numbers written in decimal in name, in order (at most maximum); leading zeros allowed. */
static size_t digit_runs(const char *name, size_t length, unsigned *numbers, size_t maximum)
{
	size_t count = 0;

	for (size_t i = 0; i < length && count < maximum;) {
		unsigned value = 0;
		size_t digits = 0;
		if (!is_digit(name[i])) {
			i++;
			continue;
		}
		while (i < length && is_digit(name[i])) {
			if (digits++ < 4)
				value = value * 10 + (unsigned)(name[i] - '0');
			i++;
		}
		numbers[count++] = digits <= 3 ? value : 1000; /* 1000: not an octet */
	}
	return count;
}

static bool has_octets(const char *name, size_t length, const unsigned char *address, char *why, size_t size)
{
	unsigned numbers[64];
	size_t count = digit_runs(name, length, numbers, 64);
	char hex[9];

	for (size_t i = 0; i + 4 <= count; i++) {
		bool forward = true, backward = true;
		for (size_t k = 0; k < 4; k++) {
			forward = forward && numbers[i + k] == address[k];
			backward = backward && numbers[i + k] == address[3 - k];
		}
		if (forward || backward) {
			snprintf(why, size, "the address %u.%u.%u.%u written into it", address[0], address[1],
			         address[2], address[3]);
			return true;
		}
	}
	snprintf(hex, sizeof hex, "%02x%02x%02x%02x", address[0], address[1], address[2], address[3]);
	for (size_t i = 0; i + 8 <= length; i++)
		if (strncasecmp(name + i, hex, 8) == 0) {
			snprintf(why, size, "the address in hexadecimal (%s) written into it", hex);
			return true;
		}
	return false;
}

bool dynamic_name_check(const char *name, const unsigned char *address, size_t address_length, char *why, size_t size)
{
	size_t length = strnlen(name, DYNAMIC_NAME_MAX + 1);
	size_t host;

	if (length > 0 && name[length - 1] == '.')
		length--;
	host = host_part_length(name, length);
	if (address_length == 4 && has_octets(name, host, address, why, size))
		return true;
	return has_word(name, host, why, size);
}
