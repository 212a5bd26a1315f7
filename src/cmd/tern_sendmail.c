/* tern_sendmail: the sendmail(8) command line that cron, PHP and git use. It reads a message on
 * stdin (LF or CRLF line endings in, CRLF out), adds From:, Date: (RFC 5322 §3.3, §3.6.1) and
 * Message-ID: (§3.6.4) when they are missing, never passes Bcc: on (§3.6.3), and submits the
 * message as an SMTP client (RFC 5321) to ternd's local socket: $TERN_SOCKET, else
 * /run/tern/submit.sock. Exit statuses are sysexits(3) ones.
 * It queues nothing itself: when ternd is unreachable nothing is accepted, and the exit status
 * says so (EX_UNAVAILABLE, or EX_TEMPFAIL for a temporary refusal). */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cmd/tern_commands.h"
#include "mailauth/address_list.h"
#include "mailauth/header_fields.h"
#include "mailauth/header_writer.h"
#include "smtp/client_dialog.h"
#include "util/buffer.h"
#include "util/xalloc.h"

#define DEFAULT_SOCKET "/run/tern/submit.sock"
#define MESSAGE_MAX    (100u * 1024 * 1024) /* octets read from stdin: generous, and a hard cap */
#define FULL_NAME_MAX  200                  /* octets of -F: the From: line stays far below 998 */
#define ADDED_MAX      4096                 /* octets of the header fields we add */
#define READ_CHUNK     65536

struct options {
	bool recipients_from_headers; /* -t */
	bool dot_ends_input;          /* neither -i nor -oi */
	const char *sender;           /* -f / -r */
	const char *full_name;        /* -F */
	char **operands;              /* recipients */
	int operand_count;
};

struct submission {
	struct options options;
	struct buffer message;                 /* stdin, CRLF line endings */
	struct header_fields *fields;          /* of message */
	struct slice body;                     /* of message */
	char hostname[ADDRESS_DOMAIN_MAX + 1]; /* the server's, from its greeting */
	bool server_8bitmime;
	struct address author; /* login name @ hostname */
	struct address sender; /* the envelope sender */
	struct address_list recipients;
	struct buffer outgoing; /* the message as it is sent */
};

static void complain(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	fputs("sendmail: ", stderr);
	vfprintf(stderr, format, arguments);
	fputc('\n', stderr);
	va_end(arguments);
}

static int usage(const char *problem, const char *argument)
{
	complain("%s: %s", problem, argument);
	fputs("usage: sendmail [-t] [-i] [-f sender] [-F full-name] [--] [recipient ...]\n", stderr);
	return EX_USAGE;
}

/* The value of -f, -r, -F or -B: glued to it ("-fADDR") or the next argument. */
static const char *option_value(int argc, char **argv, int *index)
{
	const char *argument = argv[*index];

	if (argument[2] != '\0')
		return argument + 2;
	if (*index + 1 < argc)
		return argv[++*index];
	return NULL;
}

static int parse_option(int argc, char **argv, int *index, struct options *options)
{
	const char *argument = argv[*index], *value;

	if (argument[1] != '\0' && strspn(argument + 1, "tiv") == strlen(argument + 1)) { /* -t, -i, -v, -ti */
		options->recipients_from_headers |= strchr(argument, 't') != NULL;
		options->dot_ends_input &= strchr(argument, 'i') == NULL;
		return EX_OK;
	}
	switch (argument[1]) {
	case 'o': /* -oi matters; -oem, -odi, -odb and other -oX settings are sendmail's queue knobs */
		if (argument[2] == '\0')
			return usage("option needs a value", argument);
		options->dot_ends_input &= strcmp(argument, "-oi") != 0;
		return EX_OK;
	case 'b':
		return strcmp(argument, "-bm") == 0 ? EX_OK : usage("mode not supported", argument);
	case 'f':
	case 'r':
	case 'F':
	case 'B': /* -B8BITMIME (Debian's cron): the body type is seen from the bytes */
		if ((value = option_value(argc, argv, index)) == NULL)
			return usage("option needs a value", argument);
		if (argument[1] == 'F')
			options->full_name = value;
		else if (argument[1] != 'B')
			options->sender = value;
		return EX_OK;
	}
	return usage("unknown option", argument);
}

/* -F goes into a header line: no controls, and short enough for one line. */
static int check_full_name(const char *name)
{
	if (strlen(name) > FULL_NAME_MAX)
		return usage("full name too long", name);
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			return usage("control character in the full name", name);
	return EX_OK;
}

static int parse_options(int argc, char **argv, struct options *options)
{
	int index = 1, status = EX_OK;

	options->dot_ends_input = true;
	for (; status == EX_OK && index < argc && argv[index][0] == '-'; index++) {
		if (strcmp(argv[index], "--") == 0) {
			index++;
			break;
		}
		status = parse_option(argc, argv, &index, options);
	}
	if (status != EX_OK)
		return status;
	options->operands = argv + index;
	options->operand_count = argc - index;
	if (options->full_name != NULL && (status = check_full_name(options->full_name)) != EX_OK)
		return status;
	if (options->operand_count == 0 && !options->recipients_from_headers) {
		complain("no recipients given (name them, or use -t)");
		return EX_DATAERR;
	}
	return EX_OK;
}

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

static int read_message(struct submission *submission)
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
				complain("reading the message: %s", strerror(errno));
			status = got < 0 ? EX_IOERR : EX_OK;
			break;
		}
		total += (size_t)got;
		if (total > MESSAGE_MAX || !buffer_append(&input.pending, chunk, (size_t)got)) {
			complain("message larger than %u octets", MESSAGE_MAX);
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
static int split_header(struct submission *submission)
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
		complain("%s", header_problem(result));
		return EX_DATAERR;
	}
	return EX_OK;
}

static int connect_socket(const char *path)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof address.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(address.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&address, sizeof address) == 0)
		return fd;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static const char *reply_text(const struct client_dialog *dialog)
{
	return dialog->text.length > 0 ? dialog->text.data : "";
}

/* What a refused or failed step means: a lost connection or 4xx is temporary, 5xx is not. */
static int refused(const struct client_dialog *dialog, const char *step)
{
	if (dialog->code == 0) {
		complain("%s: %s", step, dialog->error);
		return EX_TEMPFAIL;
	}
	complain("%s refused: %d %s", step, dialog->code, reply_text(dialog));
	return dialog->code >= 500 ? EX_UNAVAILABLE : EX_TEMPFAIL;
}

/* The greeting names the server ("220 mx.example.test ESMTP tern"): that is our mail domain. */
static int greet(struct submission *submission, struct client_dialog *dialog)
{
	struct slice text;
	long end;

	if (client_dialog_read_reply(dialog, CLIENT_DIALOG_COMMAND_TIMEOUT) != 0 || dialog->code != 220)
		return refused(dialog, "greeting");
	text = buffer_slice(&dialog->text);
	end = slice_find_byte(text, ' ');
	text = slice_sub(text, 0, end < 0 ? text.length : (size_t)end);
	end = slice_find_byte(text, '\n');
	text = slice_sub(text, 0, end < 0 ? text.length : (size_t)end);
	if (!address_domain_is_valid(text, false)) {
		complain("the server's greeting names no hostname");
		return EX_UNAVAILABLE;
	}
	memcpy(submission->hostname, text.data, text.length);
	submission->hostname[text.length] = '\0';
	if (client_dialog_command(dialog, "EHLO localhost") != 0 || dialog->code != 250)
		return refused(dialog, "EHLO");
	submission->server_8bitmime = client_dialog_has_extension(dialog, "8BITMIME");
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
	complain("bad recipient in %s: %s", where, list_problem(result, list->address_result));
	return EX_DATAERR;
}

static int collect_recipients(struct submission *submission)
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
		complain("no recipients");
		status = EX_DATAERR;
	}
	return status;
}

/* The envelope sender: -f (a mailbox, a bare user name, or "<>"), else login name @ server. */
static int resolve_sender(struct submission *submission)
{
	const char *sender = submission->options.sender;
	struct passwd *user = getpwuid(getuid());
	struct address_list one;
	char *mailbox;
	enum address_result result;

	if (user == NULL) {
		complain("no user name for uid %u", (unsigned)getuid());
		return EX_NOUSER;
	}
	mailbox = xasprintf("%s@%s", user->pw_name, submission->hostname);
	result = address_parse_mailbox(slice_from_string(mailbox), ADDRESS_ALLOW_UTF8, &submission->author);
	free(mailbox);
	if (result != ADDRESS_OK) {
		complain("the user name \"%s\" is no mailbox", user->pw_name);
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
		complain("bad sender \"%s\": %s", sender,
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
static void build_outgoing(struct submission *submission)
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

static bool needs_smtputf8(const struct submission *submission)
{
	bool utf8 = submission->sender.has_utf8;

	for (size_t i = 0; i < submission->recipients.count; i++)
		utf8 |= submission->recipients.addresses[i].has_utf8;
	return utf8;
}

static bool has_8bit(struct slice bytes)
{
	for (size_t i = 0; i < bytes.length; i++)
		if ((unsigned char)bytes.data[i] >= 0x80)
			return true;
	return false;
}

static int mail_from(const struct submission *submission, struct client_dialog *dialog)
{
	char sender[ADDRESS_FORMAT_SIZE], line[ADDRESS_FORMAT_SIZE + 64];
	bool eightbit = submission->server_8bitmime && has_8bit(buffer_slice(&submission->outgoing));

	address_format(&submission->sender, sender, sizeof sender);
	snprintf(line, sizeof line, "MAIL FROM:<%s>%s%s", sender, needs_smtputf8(submission) ? " SMTPUTF8" : "",
	         eightbit ? " BODY=8BITMIME" : ""); /* RFC 6531 §3.4, RFC 6152 §2 */
	if (client_dialog_command(dialog, line) != 0 || dialog->code != 250)
		return refused(dialog, "MAIL FROM");
	return EX_OK;
}

struct outcome {
	size_t accepted;            /* recipients of messages the server took */
	size_t refused_permanently; /* 5xx to RCPT */
	size_t refused_temporarily; /* 4xx to RCPT */
};

/* RCPT TO from *next on. A 452 once some were accepted stops the batch: RFC 5321 §4.5.3.1.10,
 * the rest go in another transaction. Other refusals are reported and counted. */
static int rcpt_batch(const struct submission *submission, struct client_dialog *dialog, size_t *next, size_t *accepted,
                      struct outcome *outcome)
{
	char rcpt[ADDRESS_FORMAT_SIZE], line[ADDRESS_FORMAT_SIZE + 16];

	for (; *next < submission->recipients.count; (*next)++) {
		address_format(&submission->recipients.addresses[*next], rcpt, sizeof rcpt);
		snprintf(line, sizeof line, "RCPT TO:<%s>", rcpt);
		if (client_dialog_command(dialog, line) != 0)
			return refused(dialog, "RCPT TO");
		if (dialog->code == 250 || dialog->code == 251) {
			(*accepted)++;
			continue;
		}
		if (dialog->code == 452 && *accepted > 0)
			return EX_OK;
		complain("<%s>: %d %s", rcpt, dialog->code, reply_text(dialog));
		if (dialog->code >= 500)
			outcome->refused_permanently++;
		else
			outcome->refused_temporarily++;
	}
	return EX_OK;
}

static int transaction(struct submission *submission, struct client_dialog *dialog, size_t *next,
                       struct outcome *outcome)
{
	size_t accepted = 0;
	int status = mail_from(submission, dialog);

	if (status == EX_OK)
		status = rcpt_batch(submission, dialog, next, &accepted, outcome);
	if (status != EX_OK)
		return status;
	if (accepted == 0) {
		client_dialog_command(dialog, "RSET");
		return EX_OK;
	}
	if (client_dialog_command(dialog, "DATA") != 0 || dialog->code != 354)
		return refused(dialog, "DATA");
	if (client_dialog_send_message(dialog, buffer_slice(&submission->outgoing)) != 0 || dialog->code != 250)
		return refused(dialog, "message");
	outcome->accepted += accepted;
	return EX_OK;
}

/* Every recipient gets the message, or a line on stderr saying why not. Some refused for good
 * while others accepted is success, as sendmail would have bounced those; a temporary refusal
 * is EX_TEMPFAIL since nobody here will retry it. */
static int submit(struct submission *submission, struct client_dialog *dialog)
{
	struct outcome outcome = {0, 0, 0};
	size_t next = 0;
	int status = EX_OK;

	while (status == EX_OK && next < submission->recipients.count)
		status = transaction(submission, dialog, &next, &outcome);
	if (status != EX_OK)
		return status;
	if (outcome.refused_temporarily > 0)
		return EX_TEMPFAIL;
	return outcome.accepted > 0 ? EX_OK : EX_NOUSER;
}

static int deliver(struct submission *submission)
{
	const char *path = getenv("TERN_SOCKET") ? getenv("TERN_SOCKET") : DEFAULT_SOCKET;
	struct client_dialog dialog;
	int fd = connect_socket(path), status;

	if (fd < 0) {
		complain("cannot connect to %s: %s", path, strerror(errno));
		return EX_UNAVAILABLE;
	}
	client_dialog_init(&dialog, fd);
	status = greet(submission, &dialog);
	if (status == EX_OK)
		status = collect_recipients(submission);
	if (status == EX_OK)
		status = resolve_sender(submission);
	if (status == EX_OK) {
		build_outgoing(submission);
		status = submit(submission, &dialog);
	}
	if (dialog.code != 0) /* still talking */
		client_dialog_command(&dialog, "QUIT");
	client_dialog_free(&dialog);
	close(fd);
	return status;
}

int tern_sendmail(int argc, char **argv)
{
	struct submission *submission = xcalloc(1, sizeof *submission);
	int status;

	buffer_init(&submission->message, MESSAGE_MAX * 2 + 2);
	buffer_init(&submission->outgoing, 0);
	address_list_init(&submission->recipients, ADDRESS_LIST_MAX);
	submission->fields = xmalloc(sizeof *submission->fields);
	status = parse_options(argc, argv, &submission->options);
	if (status == EX_OK)
		status = read_message(submission);
	if (status == EX_OK)
		status = split_header(submission);
	if (status == EX_OK)
		status = deliver(submission);
	address_list_free(&submission->recipients);
	buffer_free(&submission->outgoing);
	buffer_free(&submission->message);
	free(submission->fields);
	free(submission);
	return status;
}
