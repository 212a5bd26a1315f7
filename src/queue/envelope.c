/* envelope: encodes and decodes the text envelope of a spooled message. One `key: value`
 * line each, LF-terminated, in a fixed order (id, created, next-attempt, sender, smtputf8,
 * eightbit, client, held, warned, quarantine, then per recipient a rcpt line, an optional rcpt-error line and up to
 * ENVELOPE_HISTORY_MAX rcpt-attempt lines), and a
 * final `end` line that marks the file complete. The decoder is strict: it accepts exactly
 * what the encoder writes, so encode(decode(t)) = t and decode(encode(e)) = e (a NULL
 * sender or client reads back as "").
 * Values with CR or LF cannot be written: envelope_encode refuses them (returns false,
 * out unchanged) rather than asserting, since they may come from peers' replies.
 * The null reverse-path (RFC 5321 §4.5.5) is written `sender: <>`.
 * It does no I/O; spool.c reads and writes the files. */
#include "queue/envelope.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

_Static_assert(sizeof(time_t) == sizeof(long long), "times are written and read as long long");

#define NULL_SENDER "<>" /* RFC 5321 §4.5.5: the null reverse-path */

static const char *const state_names[] = {
	[RECIPIENT_PENDING] = "pending",
	[RECIPIENT_DELIVERED] = "delivered",
	[RECIPIENT_FAILED] = "failed",
};

/* Whether a value fits on one line: no CR, no LF (NUL cannot occur in a C string). */
static bool line_safe(const char *value) { return strpbrk(value, "\r\n") == NULL; }

/* Queue ids name files in the spool: letters, digits, '-', '_', '.', not starting with '.'. */
static bool id_valid(struct slice id)
{
	if (id.length == 0 || id.data[0] == '.')
		return false;
	for (size_t i = 0; i < id.length; i++) {
		char c = id.data[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* A local mailbox name is one token: non-empty, no space, CR or LF. */
static bool mailbox_valid(const char *mailbox) { return mailbox[0] != '\0' && strpbrk(mailbox, " \r\n") == NULL; }

static bool history_safe(const struct envelope_recipient *recipient)
{
	for (size_t i = 0; i < recipient->history_count; i++)
		if (!line_safe(recipient->history[i]))
			return false;
	return true;
}

static bool recipient_encodable(const struct envelope_recipient *recipient)
{
	return recipient->address != NULL && recipient->address[0] != '\0' && line_safe(recipient->address) &&
	       (recipient->mailbox == NULL || mailbox_valid(recipient->mailbox)) &&
	       (unsigned)recipient->state <= RECIPIENT_FAILED &&
	       (recipient->last_error == NULL || line_safe(recipient->last_error)) && history_safe(recipient);
}

/* What envelope_decode would reject is never written. */
static bool envelope_encodable(const struct envelope *envelope)
{
	const char *sender = envelope->sender ? envelope->sender : "";
	const char *client = envelope->client ? envelope->client : "";

	if (envelope->id == NULL || !id_valid(slice_from_string(envelope->id)))
		return false;
	if (!line_safe(sender) || strcmp(sender, NULL_SENDER) == 0 || !line_safe(client))
		return false;
	if (envelope->created < 0 || envelope->next_attempt < 0)
		return false;
	for (size_t i = 0; i < envelope->recipient_count; i++)
		if (!recipient_encodable(&envelope->recipients[i]))
			return false;
	return true;
}

static bool encode_recipient(const struct envelope_recipient *recipient, struct buffer *text)
{
	bool ok;

	if (recipient->mailbox != NULL)
		ok = buffer_printf(text, "rcpt: %s %u local:%s %s\n", state_names[recipient->state],
		                   recipient->attempts, recipient->mailbox, recipient->address);
	else
		ok = buffer_printf(text, "rcpt: %s %u remote %s\n", state_names[recipient->state],
		                   recipient->attempts, recipient->address);
	if (ok && recipient->last_error != NULL)
		ok = buffer_printf(text, "rcpt-error: %s\n", recipient->last_error);
	for (size_t i = 0; ok && i < recipient->history_count; i++)
		ok = buffer_printf(text, "rcpt-attempt: %s\n", recipient->history[i]);
	return ok;
}

static bool encode_fields(const struct envelope *envelope, struct buffer *text)
{
	const char *sender = envelope->sender && envelope->sender[0] ? envelope->sender : NULL_SENDER;
	bool ok;

	ok = buffer_printf(text, "id: %s\ncreated: %lld\nnext-attempt: %lld\nsender: %s\n", envelope->id,
	                   (long long)envelope->created, (long long)envelope->next_attempt, sender) &&
	     buffer_printf(text, "smtputf8: %s\neightbit: %s\nclient: %s\nheld: %s\nwarned: %s\nquarantine: %s\n",
	                   envelope->smtputf8 ? "yes" : "no", envelope->eightbit ? "yes" : "no",
	                   envelope->client ? envelope->client : "", envelope->held ? "yes" : "no",
	                   envelope->warned ? "yes" : "no", envelope->quarantine ? "yes" : "no");
	for (size_t i = 0; ok && i < envelope->recipient_count; i++)
		ok = encode_recipient(&envelope->recipients[i], text);
	return ok && buffer_append_string(text, "end\n");
}

/* Returns false, leaving out unchanged, if a value cannot be written (CR or LF in it, an
 * empty or unsafe id, an empty address, a mailbox with a space, a negative time, the sender
 * "<>"), if the text would exceed ENVELOPE_MAX_SIZE, or if out's maximum is in the way. */
bool envelope_encode(const struct envelope *envelope, struct buffer *out)
{
	struct buffer text;
	bool ok;

	if (!envelope_encodable(envelope))
		return false;
	buffer_init(&text, ENVELOPE_MAX_SIZE);
	ok = encode_fields(envelope, &text) && buffer_append_slice(out, buffer_slice(&text));
	buffer_free(&text);
	return ok;
}

/* Decoding. */

/* Takes the next LF-terminated line off text. A last line without LF means the writer was
 * interrupted; a line with CR or NUL was not written by us. */
static enum envelope_result next_line(struct slice *text, struct slice *line)
{
	long end = slice_find_byte(*text, '\n');

	if (end < 0)
		return ENVELOPE_INCOMPLETE;
	*line = slice_sub(*text, 0, (size_t)end);
	*text = slice_skip(*text, (size_t)end + 1);
	if (slice_find_byte(*line, '\r') >= 0 || slice_find_byte(*line, '\0') >= 0)
		return ENVELOPE_SYNTAX;
	return ENVELOPE_OK;
}

/* If line is "key: value", sets value and returns true. Keys are case-sensitive. */
static bool take_value(struct slice line, const char *key, struct slice *value)
{
	size_t length = strlen(key);

	if (line.length < length + 2 || memcmp(line.data, key, length) != 0 ||
	    memcmp(line.data + length, ": ", 2) != 0)
		return false;
	*value = slice_skip(line, length + 2);
	return true;
}

/* Splits the first space-separated token off rest. */
static struct slice take_token(struct slice *rest)
{
	long space = slice_find_byte(*rest, ' ');
	struct slice token = *rest;

	if (space < 0) {
		*rest = slice_skip(*rest, rest->length);
		return token;
	}
	token = slice_sub(*rest, 0, (size_t)space);
	*rest = slice_skip(*rest, (size_t)space + 1);
	return token;
}

/* Decimal without sign or leading zeros, at most maximum. */
static bool parse_number(struct slice digits, unsigned long long maximum, unsigned long long *number)
{
	*number = 0;
	if (digits.length == 0 || (digits.length > 1 && digits.data[0] == '0'))
		return false;
	for (size_t i = 0; i < digits.length; i++) {
		unsigned digit = (unsigned)(digits.data[i] - '0');
		if (digit > 9 || *number > (maximum - digit) / 10)
			return false;
		*number = *number * 10 + digit;
	}
	return true;
}

static bool parse_time(struct slice value, time_t *time)
{
	unsigned long long number;

	if (!parse_number(value, LLONG_MAX, &number))
		return false;
	*time = (time_t)number;
	return true;
}

static bool parse_yes_no(struct slice value, bool *flag)
{
	*flag = slice_equal(value, slice_from_string("yes"));
	return *flag || slice_equal(value, slice_from_string("no"));
}

static bool parse_id(struct slice value, struct envelope *envelope)
{
	if (!id_valid(value))
		return false;
	envelope->id = slice_to_string(value);
	return true;
}

static bool parse_created(struct slice value, struct envelope *envelope)
{
	return parse_time(value, &envelope->created);
}

static bool parse_next_attempt(struct slice value, struct envelope *envelope)
{
	return parse_time(value, &envelope->next_attempt);
}

/* RFC 5321 §4.5.5: "<>" is the null reverse-path, stored as "". */
static bool parse_sender(struct slice value, struct envelope *envelope)
{
	if (value.length == 0)
		return false;
	if (slice_equal(value, slice_from_string(NULL_SENDER)))
		value.length = 0;
	envelope->sender = slice_to_string(value);
	return true;
}

static bool parse_smtputf8(struct slice value, struct envelope *envelope)
{
	return parse_yes_no(value, &envelope->smtputf8);
}

static bool parse_eightbit(struct slice value, struct envelope *envelope)
{
	return parse_yes_no(value, &envelope->eightbit);
}

static bool parse_held(struct slice value, struct envelope *envelope)
{
	return parse_yes_no(value, &envelope->held);
}

static bool parse_warned(struct slice value, struct envelope *envelope)
{
	return parse_yes_no(value, &envelope->warned);
}

static bool parse_quarantine(struct slice value, struct envelope *envelope)
{
	return parse_yes_no(value, &envelope->quarantine);
}

static bool parse_client(struct slice value, struct envelope *envelope)
{
	envelope->client = slice_to_string(value);
	return true;
}

/* The fixed lines before the recipients, in the order they are written. */
static const struct {
	const char *key;
	bool (*parse)(struct slice value, struct envelope *envelope);
} header_fields[] = {
	{"id", parse_id},
	{"created", parse_created},
	{"next-attempt", parse_next_attempt},
	{"sender", parse_sender},
	{"smtputf8", parse_smtputf8},
	{"eightbit", parse_eightbit},
	{"client", parse_client},
	{"held", parse_held},
	{"warned", parse_warned},
	{"quarantine", parse_quarantine},
};

static bool parse_state(struct slice token, enum recipient_state *state)
{
	for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++) {
		if (slice_equal(token, slice_from_string(state_names[i]))) {
			*state = (enum recipient_state)i;
			return true;
		}
	}
	return false;
}

/* "remote", or "local:USER" with a non-empty USER. */
static bool parse_mailbox(struct slice token, char **mailbox)
{
	struct slice prefix = slice_from_string("local:");

	if (slice_equal(token, slice_from_string("remote")))
		return true;
	if (token.length <= prefix.length || !slice_equal(slice_sub(token, 0, prefix.length), prefix))
		return false;
	*mailbox = slice_to_string(slice_skip(token, prefix.length));
	return true;
}

static void grow_recipients(struct envelope *envelope, size_t capacity)
{
	envelope->recipients = xrealloc(envelope->recipients, capacity * sizeof *envelope->recipients);
}

/* Takes the next slot of the array, which the caller has grown to hold it, and clears it. */
static struct envelope_recipient *next_recipient(struct envelope *envelope)
{
	struct envelope_recipient *recipient = &envelope->recipients[envelope->recipient_count++];

	memset(recipient, 0, sizeof *recipient);
	return recipient;
}

/* "<state> <attempts> <local:USER|remote> <address>"; the address is the rest, spaces and all. */
static bool parse_recipient(struct slice value, struct envelope_recipient *recipient)
{
	unsigned long long attempts;

	if (!parse_state(take_token(&value), &recipient->state))
		return false;
	if (!parse_number(take_token(&value), UINT_MAX, &attempts))
		return false;
	recipient->attempts = (unsigned)attempts;
	if (!parse_mailbox(take_token(&value), &recipient->mailbox) || value.length == 0)
		return false;
	recipient->address = slice_to_string(value);
	return true;
}

static enum envelope_result decode_header(struct slice *text, struct envelope *envelope)
{
	struct slice line, value;
	enum envelope_result result;

	for (size_t i = 0; i < sizeof header_fields / sizeof header_fields[0]; i++) {
		if ((result = next_line(text, &line)) != ENVELOPE_OK)
			return result;
		if (!take_value(line, header_fields[i].key, &value) || !header_fields[i].parse(value, envelope))
			return ENVELOPE_SYNTAX;
	}
	return ENVELOPE_OK;
}

/* Recipient lines up to and including "end", which must be the last line. The array is
 * ours here, so it grows by doubling: a 4 MB file may list a hundred thousand recipients. */
static enum envelope_result decode_recipients(struct slice *text, struct envelope *envelope)
{
	struct envelope_recipient *last = NULL;
	size_t capacity = 0;
	struct slice line, value;
	enum envelope_result result;

	while ((result = next_line(text, &line)) == ENVELOPE_OK) {
		if (slice_equal(line, slice_from_string("end")))
			return text->length == 0 ? ENVELOPE_OK : ENVELOPE_SYNTAX;
		if (take_value(line, "rcpt", &value)) {
			if (envelope->recipient_count == capacity) {
				capacity = capacity ? 2 * capacity : 8;
				grow_recipients(envelope, capacity);
			}
			last = next_recipient(envelope);
			if (!parse_recipient(value, last))
				return ENVELOPE_SYNTAX;
		} else if (last != NULL && last->last_error == NULL && last->history_count == 0 &&
		           take_value(line, "rcpt-error", &value)) {
			last->last_error = slice_to_string(value);
		} else if (last != NULL && last->history_count < ENVELOPE_HISTORY_MAX &&
		           take_value(line, "rcpt-attempt", &value)) {
			last->history = xrealloc(last->history, (last->history_count + 1) * sizeof *last->history);
			last->history[last->history_count++] = slice_to_string(value);
		} else {
			return ENVELOPE_SYNTAX;
		}
	}
	return result;
}

enum envelope_result envelope_decode(struct slice text, struct envelope *envelope)
{
	enum envelope_result result;

	memset(envelope, 0, sizeof *envelope);
	if (text.length > ENVELOPE_MAX_SIZE)
		return ENVELOPE_SYNTAX;
	result = decode_header(&text, envelope);
	if (result == ENVELOPE_OK)
		result = decode_recipients(&text, envelope);
	return result;
}

void envelope_add_recipient(struct envelope *envelope, const char *address, const char *mailbox)
{
	struct envelope_recipient *recipient;

	/* The caller may have allocated the array itself, exactly: grow one at a time. */
	grow_recipients(envelope, envelope->recipient_count + 1);
	recipient = next_recipient(envelope);
	recipient->address = xstrdup(address);
	recipient->mailbox = mailbox ? xstrdup(mailbox) : NULL;
	recipient->state = RECIPIENT_PENDING;
}

void envelope_free(struct envelope *envelope)
{
	if (envelope == NULL)
		return;
	for (size_t i = 0; i < envelope->recipient_count; i++) {
		free(envelope->recipients[i].address);
		free(envelope->recipients[i].mailbox);
		free(envelope->recipients[i].last_error);
		for (size_t k = 0; k < envelope->recipients[i].history_count; k++)
			free(envelope->recipients[i].history[k]);
		free(envelope->recipients[i].history);
	}
	free(envelope->recipients);
	free(envelope->id);
	free(envelope->sender);
	free(envelope->client);
	memset(envelope, 0, sizeof *envelope);
}

void envelope_note_attempt(struct envelope_recipient *recipient, time_t when, const char *text)
{
	char stamp[32];
	struct tm local;
	char *copy;

	localtime_r(&when, &local);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &local);
	copy = xasprintf("%s %s", stamp, text);
	for (char *p = copy; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	if (recipient->history_count == ENVELOPE_HISTORY_MAX) {
		free(recipient->history[0]);
		memmove(recipient->history, recipient->history + 1, (ENVELOPE_HISTORY_MAX - 1) * sizeof *recipient->history);
		recipient->history_count--;
	}
	recipient->history = xrealloc(recipient->history, (recipient->history_count + 1) * sizeof *recipient->history);
	recipient->history[recipient->history_count++] = copy;
}

bool envelope_has_pending(const struct envelope *envelope)
{
	for (size_t i = 0; i < envelope->recipient_count; i++)
		if (envelope->recipients[i].state == RECIPIENT_PENDING)
			return true;
	return false;
}
