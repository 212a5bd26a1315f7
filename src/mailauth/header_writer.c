/* header_writer: the From, Date and Message-ID fields a submission agent adds (RFC 5322
 * §3.6.2, §3.3, §3.6.4), and display names as atoms, quoted-strings (§3.2.4) or RFC 2047
 * encoded-words. It writes what it is given; whether a field is missing is the caller's
 * question. */
#include "mailauth/header_writer.h"

#include <stdbool.h>
#include <string.h>

#include "util/base64.h"

#define ENCODED_WORD_OCTETS 45 /* 60 characters of base64: each word within 75 (RFC 2047 §2) */

static const char *const weekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Encoded-words for a UTF-8 name, never splitting a character (RFC 2047 §5 (3)). */
static void append_encoded_words(struct buffer *out, const char *name)
{
	size_t length = strlen(name), start = 0;

	while (start < length) {
		size_t take = length - start < ENCODED_WORD_OCTETS ? length - start : ENCODED_WORD_OCTETS;
		while (take > 1 && start + take < length && ((unsigned char)name[start + take] & 0xC0) == 0x80)
			take--;
		buffer_append_string(out, start ? " =?UTF-8?B?" : "=?UTF-8?B?");
		base64_encode(slice_make(name + start, take), out);
		buffer_append_string(out, "?=");
		start += take;
	}
}

/* display-name = phrase (RFC 5322 §3.4): atoms as they are, else one quoted-string. */
static void append_phrase(struct buffer *out, const char *name)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~ ";
	bool plain = true;

	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80) {
			append_encoded_words(out, name);
			return;
		}
		plain &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(atext, c);
	}
	if (plain) {
		buffer_append_string(out, name);
		return;
	}
	buffer_append_string(out, "\"");
	for (const char *p = name; *p; p++)
		buffer_printf(out, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
	buffer_append_string(out, "\"");
}

void header_writer_from(struct buffer *out, const char *name, const char *address)
{
	buffer_append_string(out, "From: ");
	if (name != NULL && *name != '\0') {
		append_phrase(out, name);
		buffer_printf(out, " <%s>\r\n", address);
	} else {
		buffer_printf(out, "%s\r\n", address);
	}
}

/* The names are written from tables: strftime's %a and %b follow the locale, RFC 5322 does not. */
void header_writer_date(struct buffer *out, time_t when)
{
	struct tm local;
	char zone[8];

	localtime_r(&when, &local);
	strftime(zone, sizeof zone, "%z", &local);
	buffer_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d %s\r\n", weekdays[local.tm_wday], local.tm_mday,
	              months[local.tm_mon], local.tm_year + 1900, local.tm_hour, local.tm_min, local.tm_sec, zone);
}

void header_writer_message_id(struct buffer *out, time_t when, const unsigned char *random, size_t length,
                              const char *hostname)
{
	struct tm utc;

	gmtime_r(&when, &utc);
	buffer_printf(out, "Message-ID: <%04d%02d%02d%02d%02d%02d.", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
	              utc.tm_hour, utc.tm_min, utc.tm_sec);
	for (size_t i = 0; i < length; i++)
		buffer_printf(out, "%02x", random[i]);
	buffer_printf(out, "@%s>\r\n", hostname);
}
