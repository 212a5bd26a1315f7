/* tern_sendmail_message: the message side of tern sendmail: stdin read into CRLF lines (a
 * lone "." ends it without -i), the header split off as sendmail does, the recipients (the
 * arguments, and To/Cc/Bcc with -t), the envelope sender, and the message as it goes out:
 * Bcc: dropped, From:, Date: and Message-ID: added when missing (RFC 5322 §3.6). */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cmd/tern_sendmail.h"
#include "mailauth/header_writer.h"
#include "util/xalloc.h"

/* Reading stdin: a line ends at LF; a CR just before it is dropped, CRLF is written. */
struct input {
	struct buffer pending; /* bytes of lines not yet complete */
	struct buffer *message;
	bool dot_ends_input;
	bool ended; /* a line "." was read (without -i, it ends the message, as in sendmail) */
};

static void take_line(struct input *input, struct slice line, bool had_lf)
{
	if (had_lf && line.length > 0 && line.data[line.length - 1] == '\r')
		line = slice_sub(line, 0, line.length - 1);
	if (input->dot_ends_input && line.length == 1 && line.data[0] == '.') {
		input->ended = true;
		return;
	}
	/* A lone CR (progress bars in cron output) would get the whole message refused as a bare
	 * CR; in a local program's text it means a line break, so it becomes one. */
	for (long cr; (cr = slice_find_byte(line, '\r')) >= 0; line = slice_skip(line, (size_t)cr + 1)) {
		buffer_append_slice(input->message, slice_sub(line, 0, (size_t)cr));
		buffer_append(input->message, "\r\n", 2);
	}
	buffer_append_slice(input->message, line); /* cannot fail: at most 2 octets out per octet in, + 2 */
	buffer_append(input->message, "\r\n", 2);
}

static void take_lines(struct input *input)
{
	struct slice rest = buffer_slice(&input->pending);
	long lf;

	while (!input->ended && (lf = slice_find_byte(rest, '\n')) >= 0) {
		take_line(input, slice_sub(rest, 0, (size_t)lf), true);
		rest = slice_skip(rest, (size_t)lf + 1);
	}
	buffer_consume(&input->pending, input->pending.length - rest.length);
}

int sendmail_read_message(struct submission *submission)
{
	struct input input = {.message = &submission->message, .dot_ends_input = submission->options.dot_ends_input};
	char chunk[READ_CHUNK];
	size_t total = 0;
	int status = EX_OK;

	buffer_init(&input.pending, MESSAGE_MAX);
	while (!input.ended && status == EX_OK) {
		ssize_t got = read(STDIN_FILENO, chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got < 0)
				sendmail_complain("reading the message: %s", strerror(errno));
			status = got < 0 ? EX_IOERR : EX_OK;
			break;
		}
		total += (size_t)got;
		if (total > MESSAGE_MAX || !buffer_append(&input.pending, chunk, (size_t)got)) {
			sendmail_complain("message larger than %u octets", MESSAGE_MAX);
			status = EX_DATAERR;
		} else if (memchr(chunk, '\n', (size_t)got) != NULL) {
			take_lines(&input);
		}
	}
	if (status == EX_OK && !input.ended && input.pending.length > 0)
		take_line(&input, buffer_slice(&input.pending), false);
	buffer_free(&input.pending);
	return status;
}

static const char *header_problem(enum header_fields_result result)
{
	switch (result) {
	case HEADER_FIELDS_BAD_BYTES:
		return "a NUL or a bare CR in the header";
	case HEADER_FIELDS_LINE_TOO_LONG:
		return "a header line longer than 998 octets";
	case HEADER_FIELDS_TOO_MANY:
		return "too many header fields";
	default:
		return "malformed header";
	}
}

/* As sendmail does, the first line that is not a header field ends the header and starts the
 * body (an empty line is put before it when the message goes out). */
int sendmail_split_header(struct submission *submission)
{
	struct slice message = buffer_slice(&submission->message);
	enum header_fields_result result = header_fields_parse(message, submission->fields);
	size_t end;

	if (result == HEADER_FIELDS_BAD_NAME) {
		end = submission->fields->error_offset;
		result = header_fields_parse(slice_sub(message, 0, end), submission->fields);
		submission->body = slice_skip(message, end);
	} else {
		submission->body = slice_skip(message, submission->fields->body_offset);
	}
	if (result != HEADER_FIELDS_OK) {
		sendmail_complain("%s", header_problem(result));
		return EX_DATAERR;
	}
	return EX_OK;
}

static const char *list_problem(enum address_list_result result, enum address_result why)
{
	switch (result) {
	case ADDRESS_LIST_BAD_BYTES:
		return "control characters";
	case ADDRESS_LIST_TOO_MANY:
		return "too many recipients";
	case ADDRESS_LIST_BAD_ADDRESS:
		return why == ADDRESS_TOO_LONG   ? "address too long"
		       : why == ADDRESS_BAD_UTF8 ? "invalid UTF-8"
		                                 : "not a mailbox";
	default:
		return "syntax error";
	}
}

/* Adds the recipients named in text (an argument, or a To/Cc/Bcc value); a bare user name
 * is a user of the server's domain. */
static int add_recipients(struct submission *submission, struct slice text, const char *where)
{
	struct address_list *list = &submission->recipients;
	enum address_list_result result = address_list_parse(text, submission->hostname, list);

	if (result == ADDRESS_LIST_OK || result == ADDRESS_LIST_EMPTY)
		return EX_OK;
	sendmail_complain("bad recipient in %s: %s", where, list_problem(result, list->address_result));
	return EX_DATAERR;
}

int sendmail_collect_recipients(struct submission *submission)
{
	const struct header_fields *fields = submission->fields;
	static const char *const names[] = {"To", "Cc", "Bcc"};
	static const char *const wheres[] = {"the To: header", "the Cc: header", "the Bcc: header"};
	int status = EX_OK;

	for (int i = 0; status == EX_OK && i < submission->options.operand_count; i++)
		status = add_recipients(submission, slice_from_string(submission->options.operands[i]),
		                        submission->options.operands[i]);
	for (size_t n = 0; submission->options.recipients_from_headers && n < 3; n++) {
		for (long at = header_fields_find(fields, names[n], 0); status == EX_OK && at >= 0;
		     at = header_fields_find(fields, names[n], (size_t)at + 1))
			status = add_recipients(submission, fields->fields[at].value, wheres[n]);
	}
	if (status == EX_OK && submission->recipients.count == 0) {
		sendmail_complain("no recipients");
		status = EX_DATAERR;
	}
	return status;
}

/* The envelope sender: -f (a mailbox, a bare user name, or "<>"), else login name @ server. */
int sendmail_resolve_sender(struct submission *submission)
{
	const char *sender = submission->options.sender;
	struct passwd *user = getpwuid(getuid());
	struct address_list one;
	char *mailbox;
	enum address_result result;

	if (user == NULL) {
		sendmail_complain("no user name for uid %u", (unsigned)getuid());
		return EX_NOUSER;
	}
	mailbox = xasprintf("%s@%s", user->pw_name, submission->hostname);
	result = address_parse_mailbox(slice_from_string(mailbox), ADDRESS_ALLOW_UTF8, &submission->author);
	free(mailbox);
	if (result != ADDRESS_OK) {
		sendmail_complain("the user name \"%s\" is no mailbox", user->pw_name);
		return EX_DATAERR;
	}
	submission->sender = submission->author;
	if (sender == NULL)
		return EX_OK;
	if (strcmp(sender, "") == 0 || strcmp(sender, "<>") == 0) {
		memset(&submission->sender, 0, sizeof submission->sender);
		submission->sender.is_null = true; /* RFC 5321 §4.5.5: the null reverse-path */
		return EX_OK;
	}
	address_list_init(&one, 1);
	enum address_list_result parsed = address_list_parse(slice_from_string(sender), submission->hostname, &one);
	bool good = parsed == ADDRESS_LIST_OK && one.count == 1;
	if (good)
		submission->sender = one.addresses[0];
	else
		sendmail_complain("bad sender \"%s\": %s", sender,
		         parsed == ADDRESS_LIST_OK ? "not one mailbox" : list_problem(parsed, one.address_result));
	address_list_free(&one);
	return good ? EX_OK : EX_DATAERR;
}

/* From: the sender (or, for a null sender, the user), with the -F name (RFC 5322 §3.6.2). */
static void append_from(const struct submission *submission, struct buffer *out)
{
	const struct address *from = submission->sender.is_null ? &submission->author : &submission->sender;
	char address[ADDRESS_FORMAT_SIZE];

	address_format(from, address, sizeof address);
	header_writer_from(out, submission->options.full_name, address);
}

/* Message-ID: unique by a random part (getrandom, else a weaker mix of pid and clock). */
static void append_message_id(const struct submission *submission, struct buffer *out)
{
	unsigned char random[12];

	if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
		for (size_t i = 0; i < sizeof random; i++)
			random[i] = (unsigned char)((unsigned)getpid() * 31u + (unsigned)clock() + i * 131u);
	header_writer_message_id(out, time(NULL), random, sizeof random, submission->hostname);
}

/* The message as it goes out: its fields but Bcc:, the missing ones, an empty line, the body. */
void sendmail_build_outgoing(struct submission *submission)
{
	const struct header_fields *fields = submission->fields;
	struct buffer *out = &submission->outgoing;

	buffer_init(out, submission->message.length + ADDED_MAX + 2);
	for (size_t i = 0; i < fields->count; i++)
		if (!slice_equal_string_nocase(fields->fields[i].name, "Bcc")) /* §3.6.3: blind */
			buffer_append_slice(out, fields->fields[i].whole);
	if (header_fields_find(fields, "From", 0) < 0)
		append_from(submission, out);
	if (header_fields_find(fields, "Date", 0) < 0)
		header_writer_date(out, time(NULL));
	if (header_fields_find(fields, "Message-ID", 0) < 0)
		append_message_id(submission, out);
	buffer_append_string(out, "\r\n");
	buffer_append_slice(out, submission->body);
}
