/* bounce: writes a delivery status notification, RFC 3464, as a multipart/report (RFC 6522 §3):
 * a human explanation, the message/delivery-status fields (RFC 3464 §2.2 per message, §2.3 per
 * recipient) and the original header block (RFC 6522 §4); the RFC 6533 "global" forms for
 * SMTPUTF8 mail. Every outside value is cleaned (no CR, LF or other controls, bounded length)
 * before it is written, so nothing a remote server says can add a field or a MIME part.
 * It does not send the DSN, decide that one is owed, or choose a boundary; and it never copies
 * the original body. */
#include "deliver/bounce.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mailauth/header_fields.h"
#include "util/xalloc.h"

#define LINE_COLUMN 78 /* RFC 5322 §2.1.1: lines SHOULD be no longer than 78 characters */
#define DATE_MAX    64
/* RFC 2046 §5.1.1 bcharsnospace: a boundary made of these needs no escaping in quotes. */
#define BOUNDARY_CHARACTERS "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=?"

/* Where bytes go; the first failure sticks, so writers are plain statements. */
struct writer {
	struct buffer *out;
	bool ok;
	bool global; /* RFC 6533 forms: UTF-8 allowed in the header and the delivery-status fields */
};

/* An outside value after cleaning (see bounce.h). */
struct value {
	char text[BOUNCE_VALUE_MAX + 1];
};

static void put_bytes(struct writer *w, const char *data, size_t length)
{
	if (w->ok)
		w->ok = buffer_append(w->out, data, length);
}

static void put(struct writer *w, const char *text) { put_bytes(w, text, strlen(text)); }

/* printf into a fresh string, owned by the caller. */
static char *format_text(const char *format, va_list arguments)
{
	va_list copy;
	int length;
	char *text;

	va_copy(copy, arguments);
	length = vsnprintf(NULL, 0, format, copy);
	va_end(copy);
	if (length < 0)
		length = 0;
	text = xmalloc((size_t)length + 1);
	text[0] = '\0';
	vsnprintf(text, (size_t)length + 1, format, arguments);
	return text;
}

static void putf(struct writer *w, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct writer *w, const char *format, ...)
{
	va_list arguments;
	char *text;

	va_start(arguments, format);
	text = format_text(format, arguments);
	va_end(arguments);
	put(w, text);
	free(text);
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 §4), or 0. s is NUL-terminated. */
static size_t utf8_length(const unsigned char *s)
{
	unsigned char low = 0x80, high = 0xbf;
	size_t length, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		length = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		length = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		length = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		low = 0xa0; /* overlong */
	else if (s[0] == 0xed)
		high = 0x9f; /* surrogates */
	else if (s[0] == 0xf0)
		low = 0x90; /* overlong */
	else if (s[0] == 0xf4)
		high = 0x8f; /* past U+10FFFF */
	if (s[1] < low || s[1] > high)
		return 0;
	for (i = 2; i < length; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return length;
}

static bool is_line_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Copies raw into value: whitespace runs (CR and LF included) become one space, trimmed at both
 * ends; controls, and octets that are not ASCII (or, with utf8, not valid UTF-8) become "?";
 * at most BOUNCE_VALUE_MAX octets, cut between characters. NULL reads as "". */
static const char *clean(struct value *value, const char *raw, bool utf8)
{
	const unsigned char *in = (const unsigned char *)(raw ? raw : "");
	size_t length = 0;
	bool space = false;

	while (*in != '\0') {
		if (is_line_space(*in)) {
			space = length > 0;
			in++;
			continue;
		}
		size_t take = *in >= 0x80 && utf8 ? utf8_length(in) : 1;
		bool replace = take == 0 || *in < 0x20 || *in == 0x7f || (*in >= 0x80 && !utf8);
		size_t written = replace ? 1 : take;

		if (length + space + written > BOUNCE_VALUE_MAX)
			break;
		if (space)
			value->text[length++] = ' ';
		space = false;
		if (replace)
			value->text[length] = '?';
		else
			memcpy(value->text + length, in, take);
		length += written;
		in += take ? take : 1;
	}
	value->text[length] = '\0';
	return value->text;
}

static bool has_8bit(const char *data, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if ((unsigned char)data[i] >= 0x80)
			return true;
	return false;
}

static bool string_has_8bit(const char *text) { return text != NULL && has_8bit(text, strlen(text)); }

/* RFC 5322 §3.3 date-time, in UTC so that the output depends on nothing but the input. */
static const char *format_date(char text[DATE_MAX], time_t when)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm utc;

	if (gmtime_r(&when, &utc) == NULL) {
		when = 0;
		gmtime_r(&when, &utc);
	}
	snprintf(text, DATE_MAX, "%s, %d %s %d %02d:%02d:%02d +0000", days[utc.tm_wday], utc.tm_mday,
	         months[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
	return text;
}

/* Writes "name: text" folded before spaces near LINE_COLUMN (RFC 5322 §2.2.3). text is clean
 * and bounded, so a line stays under 998 octets even when a word does not fit. */
static void put_field(struct writer *w, const char *name, const char *text)
{
	size_t start = strlen(name) + 1, column = start, word;

	put(w, name);
	put(w, ":");
	while (*text != '\0') {
		word = strcspn(text, " ");
		if (column > start && column + 1 + word > LINE_COLUMN) {
			put(w, "\r\n");
			column = 0;
		}
		put(w, " ");
		put_bytes(w, text, word);
		column += 1 + word;
		text += word;
		text += *text == ' ';
	}
	put(w, "\r\n");
}

static void put_fieldf(struct writer *w, const char *name, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void put_fieldf(struct writer *w, const char *name, const char *format, ...)
{
	va_list arguments;
	char *text;

	va_start(arguments, format);
	text = format_text(format, arguments);
	va_end(arguments);
	put_field(w, name, text);
	free(text);
}

/* Where to cut a word that is longer than a line: at most room octets, between characters. */
static size_t word_cut(const char *word, size_t room)
{
	size_t cut = room;

	while (cut > 0 && ((unsigned char)word[cut] & 0xc0) == 0x80)
		cut--;
	return cut > 0 ? cut : room;
}

/* Writes text as lines of at most LINE_COLUMN octets, the first starting with first, the others
 * with rest; a word too long for a line is split (this is prose for a person, not a field). */
static void put_wrapped(struct writer *w, const char *first, const char *rest, const char *text)
{
	const char *indent = first;
	size_t column = 0, word;

	while (*text != '\0') {
		word = strcspn(text, " ");
		if (column > 0 && column + 1 + word > LINE_COLUMN) {
			put(w, "\r\n");
			column = 0;
			indent = rest;
		}
		if (column == 0) {
			put(w, indent);
			column = strlen(indent);
		} else {
			put(w, " ");
			column++;
		}
		if (column + word > LINE_COLUMN)
			word = word_cut(text, LINE_COLUMN - column);
		put_bytes(w, text, word);
		column += word;
		text += word;
		text += *text == ' ';
	}
	put(w, "\r\n");
}

/* A paragraph: printf, then wrapped with the two indents of put_wrapped. */
static void say(struct writer *w, const char *first, const char *rest, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
static void say(struct writer *w, const char *first, const char *rest, const char *format, ...)
{
	va_list arguments;
	char *text;

	va_start(arguments, format);
	text = format_text(format, arguments);
	va_end(arguments);
	put_wrapped(w, first, rest, text);
	free(text);
}

static bool is_action(const struct bounce_recipient *recipient, const char *action)
{
	return recipient->action != NULL && strcasecmp(recipient->action, action) == 0;
}

static size_t count_action(const struct bounce_info *info, const char *action)
{
	size_t count = 0;

	for (size_t i = 0; i < info->recipient_count; i++)
		count += is_action(&info->recipients[i], action);
	return count;
}

static bool all_delayed(const struct bounce_info *info)
{
	return info->recipient_count > 0 && count_action(info, "delayed") == info->recipient_count;
}

/* The RFC 6533 forms are needed for SMTPUTF8 mail, and whenever an address is not ASCII. */
static bool needs_global(const struct bounce_info *info)
{
	if (info->smtputf8 || string_has_8bit(info->sender))
		return true;
	for (size_t i = 0; i < info->recipient_count; i++)
		if (string_has_8bit(info->recipients[i].address) || string_has_8bit(info->recipients[i].original))
			return true;
	return false;
}

static bool boundary_valid(const char *boundary)
{
	size_t length = boundary ? strlen(boundary) : 0;

	return length >= 1 && length <= BOUNCE_BOUNDARY_MAX && strspn(boundary, BOUNDARY_CHARACTERS) == length;
}

static void write_header(struct writer *w, const struct bounce_info *info)
{
	struct value value;
	char date[DATE_MAX];

	putf(w, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", clean(&value, info->reporting_mta, w->global));
	putf(w, "To: <%s>\r\n", clean(&value, info->sender, w->global));
	put(w, all_delayed(info) ? "Subject: Delayed Mail (still being retried)\r\n"
	                         : "Subject: Undelivered Mail Returned to Sender\r\n");
	putf(w, "Date: %s\r\n", format_date(date, info->now));
	putf(w, "Message-ID: %s\r\n", clean(&value, info->message_id, false));
	put(w, "Auto-Submitted: auto-replied\r\n"); /* RFC 3834 §5: no autoresponder answers this */
	put(w, "MIME-Version: 1.0\r\n");
	/* RFC 6522 §3; RFC 6533 §4 keeps report-type=delivery-status for the global form */
	putf(w, "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n",
	     info->boundary);
	put(w, "\r\n");
	put(w, "This is a MIME-formatted delivery status notification (RFC 3464).\r\n");
}

/* One body part (RFC 2046 §5.1.1): the delimiter, its header, then body as written. */
static void put_part(struct writer *w, const char *boundary, const char *description, const char *type,
                     const struct writer *body)
{
	if (!body->ok) {
		w->ok = false;
		return;
	}
	putf(w, "\r\n--%s\r\n", boundary);
	putf(w, "Content-Description: %s\r\n", description);
	putf(w, "Content-Type: %s\r\n", type);
	if (has_8bit(body->out->data, body->out->length))
		put(w, "Content-Transfer-Encoding: 8bit\r\n"); /* RFC 2045 §6.2; RFC 6532 §3.5 */
	put(w, "\r\n");
	put_bytes(w, body->out->data, body->out->length);
}

/* An SMTP reply starts with its three-digit code (RFC 5321 §4.2). */
static bool is_smtp_reply(const char *text)
{
	return text[0] >= '2' && text[0] <= '5' && text[1] >= '0' && text[1] <= '5' && text[2] >= '0' &&
	       text[2] <= '9' && (text[3] == '\0' || text[3] == ' ' || text[3] == '-');
}

/* What happened to one recipient, in words: the person reading it may not know what 5.1.1 is. */
static void explain_recipient(struct writer *w, const struct bounce_info *info, const struct bounce_recipient *r)
{
	struct value address, original, status, other;
	char date[DATE_MAX];
	bool renamed = r->original != NULL && strcmp(r->original, r->address ? r->address : "") != 0;
	bool delayed = is_action(r, "delayed");
	const char *what = delayed ? "delivery delayed" : "delivery failed", *until = "", *promise = "";

	clean(&address, r->address, true);
	clean(&original, renamed ? r->original : NULL, true);
	clean(&status, r->status, true);
	if (!delayed && !is_action(r, "failed"))
		what = clean(&other, r->action, true);
	if (delayed && info->retry_until != 0) {
		promise = "; we will keep trying until ";
		until = format_date(date, info->retry_until);
	} else if (delayed) {
		promise = "; we will keep trying";
	}
	say(w, "", "  ", "<%s>%s%s%s: %s (status %s)%s%s.", address.text, renamed ? " (originally <" : "",
	    original.text, renamed ? ">)" : "", what, status.text, promise, until);
	if (r->diagnostic == NULL)
		return;
	clean(&other, r->diagnostic, true);
	if (r->remote_mta == NULL)
		say(w, "  ", "  ", "The reason:");
	else
		say(w, "  ", "  ", is_smtp_reply(other.text) ? "The server %s said:" : "The reason (server %s):",
		    clean(&address, r->remote_mta, true));
	say(w, "    ", "    ", "%s", other.text);
}

/* Part 1: text/plain for the person who sent the message. */
static void write_explanation(struct writer *w, const struct bounce_info *info)
{
	struct value host, queue_id;
	char date[DATE_MAX];
	size_t delayed = count_action(info, "delayed");

	say(w, "", "", "This is the mail delivery system at %s.", clean(&host, info->reporting_mta, true));
	put(w, "\r\n");
	if (all_delayed(info))
		say(w, "", "",
		    "Your message has not been delivered yet to the recipients below. This is only a "
		    "warning: we will keep trying, and you do not need to send it again.");
	else
		say(w, "", "", "Your message could not be delivered to the recipients below.%s",
		    delayed ? " For those marked as delayed we will keep trying." : "");
	put(w, "\r\n");
	clean(&queue_id, info->queue_id, true);
	say(w, "", "", "The message arrived on %s%s%s. Its header is attached below; its body is not.",
	    format_date(date, info->arrival), queue_id.text[0] ? " with queue ID " : "", queue_id.text);
	for (size_t i = 0; i < info->recipient_count; i++) {
		put(w, "\r\n");
		explain_recipient(w, info, &info->recipients[i]);
	}
}

/* "rfc822; addr", or RFC 6533 §3 "utf-8; addr" (the utf-8-address form) when it is not ASCII. */
static void put_address_field(struct writer *w, const char *name, const char *address)
{
	struct value value;

	put_fieldf(w, name, "%s; %s", string_has_8bit(address) ? "utf-8" : "rfc822", clean(&value, address, w->global));
}

/* RFC 3464 §2.3: the per-recipient fields. */
static void write_recipient_status(struct writer *w, const struct bounce_info *info, const struct bounce_recipient *r)
{
	struct value value;
	char date[DATE_MAX];

	put_address_field(w, "Final-Recipient", r->address); /* §2.3.2 */
	if (r->original != NULL && strcmp(r->original, r->address ? r->address : "") != 0)
		put_address_field(w, "Original-Recipient", r->original); /* §2.3.1 */
	put_field(w, "Action", clean(&value, r->action, false));         /* §2.3.3 */
	put_field(w, "Status", clean(&value, r->status, false));         /* §2.3.4 */
	if (r->remote_mta != NULL)
		put_fieldf(w, "Remote-MTA", "dns; %s", clean(&value, r->remote_mta, false)); /* §2.3.5 */
	if (r->diagnostic != NULL) {                                                         /* §2.3.6 */
		clean(&value, r->diagnostic, w->global);
		put_fieldf(w, "Diagnostic-Code", "%s; %s", is_smtp_reply(value.text) ? "smtp" : "X-Tern", value.text);
	}
	put_field(w, "Last-Attempt-Date", format_date(date, info->now)); /* §2.3.7 */
	if (is_action(r, "delayed") && info->retry_until != 0)
		put_field(w, "Will-Retry-Until", format_date(date, info->retry_until)); /* §2.3.8 */
}

/* Part 2: message/delivery-status, RFC 3464 §2.1: per-message fields, then a group per recipient. */
static void write_status(struct writer *w, const struct bounce_info *info)
{
	struct value value;
	char date[DATE_MAX];

	put_fieldf(w, "Reporting-MTA", "dns; %s", clean(&value, info->reporting_mta, false)); /* §2.2.2 */
	if (info->envelope_id != NULL)
		put_field(w, "Original-Envelope-Id", clean(&value, info->envelope_id, false)); /* §2.2.1 */
	put_field(w, "Arrival-Date", format_date(date, info->arrival));                        /* §2.2.5 */
	for (size_t i = 0; i < info->recipient_count; i++) {
		put(w, "\r\n");
		write_recipient_status(w, info, &info->recipients[i]);
	}
}

/* Part 3: the original header block, RFC 6522 §4: whole fields as the framer accepts them, up to
 * the first it rejects (a body with no empty line before it stops there too) and to
 * BOUNCE_HEADERS_MAX octets. Copied unchanged: 8-bit octets stay, marked by put_part. */
static void write_original_header(struct writer *w, const struct bounce_info *info)
{
	struct header_fields *fields = xmalloc(sizeof *fields);
	size_t total = 0;

	header_fields_parse(info->original, fields); /* on failure fields[0 .. count) are still whole */
	for (size_t i = 0; i < fields->count; i++) {
		struct slice whole = fields->fields[i].whole;

		if (whole.length > BOUNCE_HEADERS_MAX - total)
			break;
		put_bytes(w, whole.data, whole.length);
		total += whole.length;
	}
	free(fields);
}

typedef void part_writer(struct writer *w, const struct bounce_info *info);

/* Writes one part's body into its own buffer first: its header says whether it holds 8-bit. */
static void write_part(struct writer *w, const struct bounce_info *info, const char *description, const char *type,
                       part_writer *writer)
{
	struct buffer body;
	struct writer part;

	buffer_init(&body, w->out->maximum);
	part = (struct writer){&body, true, w->global};
	writer(&part, info);
	put_part(w, info->boundary, description, type, &part);
	buffer_free(&body);
}

bool bounce_build(const struct bounce_info *info, struct buffer *out)
{
	struct buffer message;
	struct writer w;
	bool ok;

	if (!boundary_valid(info->boundary))
		return false;
	buffer_init(&message, out->maximum - out->length);
	w = (struct writer){&message, true, needs_global(info)};
	write_header(&w, info);
	write_part(&w, info, "Notification", "text/plain; charset=utf-8", write_explanation);
	write_part(&w, info, "Delivery report", w.global ? "message/global-delivery-status" : "message/delivery-status",
	           write_status);
	write_part(&w, info, "Undelivered Message Headers", w.global ? "message/global-headers" : "text/rfc822-headers",
	           write_original_header);
	putf(&w, "\r\n--%s--\r\n", info->boundary);
	ok = w.ok && buffer_append_slice(out, buffer_slice(&message));
	buffer_free(&message);
	return ok;
}
