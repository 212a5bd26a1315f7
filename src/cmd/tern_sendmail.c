/* tern_sendmail: the sendmail(8) command line that cron, PHP and git use. It reads a message on
 * stdin (LF or CRLF line endings in, CRLF out), adds From:, Date: (RFC 5322 §3.3, §3.6.1) and
 * Message-ID: (§3.6.4) when they are missing, never passes Bcc: on (§3.6.3), and submits the
 * message as an SMTP client (RFC 5321) to ternd's local socket: $TERN_SOCKET, else
 * /run/tern/submit.sock. Exit statuses are sysexits(3) ones.
 * It queues nothing itself: when ternd is unreachable nothing is accepted, and the exit status
 * says so (EX_UNAVAILABLE, or EX_TEMPFAIL for a temporary refusal). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd/tern_commands.h"
#include "cmd/tern_sendmail.h"
#include "smtp/client_dialog.h"
#include "util/xalloc.h"

#define DEFAULT_SOCKET "/run/tern/submit.sock"

void sendmail_complain(const char *format, ...)
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
	sendmail_complain("%s: %s", problem, argument);
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
		sendmail_complain("no recipients given (name them, or use -t)");
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
		sendmail_complain("%s: %s", step, dialog->error);
		return EX_TEMPFAIL;
	}
	sendmail_complain("%s refused: %d %s", step, dialog->code, reply_text(dialog));
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
		sendmail_complain("the server's greeting names no hostname");
		return EX_UNAVAILABLE;
	}
	memcpy(submission->hostname, text.data, text.length);
	submission->hostname[text.length] = '\0';
	if (client_dialog_command(dialog, "EHLO localhost") != 0 || dialog->code != 250)
		return refused(dialog, "EHLO");
	submission->server_8bitmime = client_dialog_has_extension(dialog, "8BITMIME");
	return EX_OK;
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
		sendmail_complain("<%s>: %d %s", rcpt, dialog->code, reply_text(dialog));
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
		sendmail_complain("cannot connect to %s: %s", path, strerror(errno));
		return EX_UNAVAILABLE;
	}
	client_dialog_init(&dialog, fd);
	status = greet(submission, &dialog);
	if (status == EX_OK)
		status = sendmail_collect_recipients(submission);
	if (status == EX_OK)
		status = sendmail_resolve_sender(submission);
	if (status == EX_OK) {
		sendmail_build_outgoing(submission);
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
		status = sendmail_read_message(submission);
	if (status == EX_OK)
		status = sendmail_split_header(submission);
	if (status == EX_OK)
		status = deliver(submission);
	address_list_free(&submission->recipients);
	buffer_free(&submission->outgoing);
	buffer_free(&submission->message);
	free(submission->fields);
	free(submission);
	return status;
}
