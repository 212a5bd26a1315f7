/* client_dialog: the client's half of an SMTP dialog, blocking, over a connected socket.
 * RFC 5321 §4.2 and §4.2.1 (reply lines and multi-line replies: one code throughout, "-" on all
 * but the last), §4.1.1.4 (DATA), §4.5.2 (transparency: dot-stuffing), §4.5.3.2 (timeouts),
 * §4.1.1.1 (EHLO keywords). Only CRLF ends a reply line; a bare LF is a malformed reply.
 * Writes use MSG_NOSIGNAL, so a peer that went away is an error, not a SIGPIPE.
 * It does not interpret reply codes, nor retry, nor connect. */
#include "smtp/client_dialog.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define READ_CHUNK 4096
#define SEND_CHUNK (64 * 1024) /* octets staged before a write */

static long long now_milliseconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int fail(struct client_dialog *dialog, const char *what, int error)
{
	if (error != 0)
		snprintf(dialog->error, sizeof dialog->error, "%s: %s", what, strerror(error));
	else
		snprintf(dialog->error, sizeof dialog->error, "%s", what);
	dialog->code = 0;
	return -1;
}

/* Waits until the socket is ready for events, or the deadline passes. */
static int wait_ready(struct client_dialog *dialog, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_milliseconds();
		struct pollfd ready = {.fd = dialog->fd, .events = events};
		int count;

		if (left <= 0)
			return fail(dialog, "timed out", 0);
		count = poll(&ready, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (count > 0)
			return 0;
		if (count < 0 && errno != EINTR)
			return fail(dialog, "poll", errno);
	}
}

static int send_all(struct client_dialog *dialog, const char *data, size_t length, int timeout_seconds)
{
	long long deadline = now_milliseconds() + timeout_seconds * 1000LL;

	while (length > 0) {
		ssize_t sent;
		if (wait_ready(dialog, POLLOUT, deadline) != 0)
			return -1;
		sent = send(dialog->fd, data, length, MSG_NOSIGNAL);
		if (sent < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (sent < 0)
			return fail(dialog, "send", errno);
		data += sent;
		length -= (size_t)sent;
	}
	return 0;
}

/* Reads more bytes into the input, at most up to its maximum. */
static int receive(struct client_dialog *dialog, long long deadline)
{
	char chunk[READ_CHUNK];
	size_t room = dialog->input.maximum - dialog->input.length;
	ssize_t got;

	if (room == 0)
		return fail(dialog, "reply too long", 0);
	if (wait_ready(dialog, POLLIN, deadline) != 0)
		return -1;
	got = recv(dialog->fd, chunk, room < sizeof chunk ? room : sizeof chunk, 0);
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (got < 0)
		return fail(dialog, "recv", errno);
	if (got == 0)
		return fail(dialog, "connection closed by the server", 0);
	buffer_append(&dialog->input, chunk, (size_t)got);
	return 0;
}

/* Waits for a whole line at the start of the input; *length excludes its CRLF. */
static int next_line(struct client_dialog *dialog, long long deadline, size_t *length)
{
	for (;;) {
		long lf = slice_find_byte(buffer_slice(&dialog->input), '\n');
		if (lf == 0 || (lf > 0 && dialog->input.data[lf - 1] != '\r'))
			return fail(dialog, "malformed reply: bare LF", 0);
		if (lf > 0) {
			*length = (size_t)lf - 1;
			return 0;
		}
		if (receive(dialog, deadline) != 0)
			return -1;
	}
}

/* Takes one reply line (§4.2): returns 1 if more lines follow, 0 for the last, -1 if malformed. */
static int take_line(struct client_dialog *dialog, struct slice line, bool first, int *code)
{
	const char *p = line.data;
	int this_code;

	if (line.length < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '5' || p[2] < '0' || p[2] > '9')
		return fail(dialog, "malformed reply: no reply code", 0);
	if (line.length > 3 && p[3] != ' ' && p[3] != '-')
		return fail(dialog, "malformed reply: no separator after the code", 0);
	this_code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (!first && this_code != *code)
		return fail(dialog, "malformed reply: the code changes between lines", 0);
	*code = this_code;
	if ((!first && !buffer_append(&dialog->text, "\n", 1)) ||
	    !buffer_append_slice(&dialog->text, slice_skip(line, 4)))
		return fail(dialog, "reply too long", 0);
	return line.length > 3 && p[3] == '-' ? 1 : 0;
}

int client_dialog_read_reply(struct client_dialog *dialog, int timeout_seconds)
{
	long long deadline = now_milliseconds() + timeout_seconds * 1000LL;
	int code = 0;

	buffer_clear(&dialog->text);
	dialog->code = 0;
	for (bool first = true;; first = false) {
		size_t length;
		int more;
		if (next_line(dialog, deadline, &length) != 0)
			return -1;
		more = take_line(dialog, slice_make(dialog->input.data, length), first, &code);
		buffer_consume(&dialog->input, length + 2);
		if (more < 0)
			return -1;
		if (more == 0)
			break;
	}
	dialog->code = code;
	return 0;
}

int client_dialog_command(struct client_dialog *dialog, const char *line)
{
	size_t length = strlen(line);

	if (strpbrk(line, "\r\n") != NULL)
		return fail(dialog, "command holds a line break", 0);
	if (send_all(dialog, line, length, CLIENT_DIALOG_COMMAND_TIMEOUT) != 0 ||
	    send_all(dialog, "\r\n", 2, CLIENT_DIALOG_COMMAND_TIMEOUT) != 0)
		return -1;
	return client_dialog_read_reply(dialog, CLIENT_DIALOG_COMMAND_TIMEOUT);
}

static int flush(struct client_dialog *dialog, struct buffer *out)
{
	int result = send_all(dialog, out->data, out->length, CLIENT_DIALOG_DATA_TIMEOUT);

	buffer_clear(out);
	return result;
}

/* Queues bytes for sending; what is larger than the staging buffer goes straight out. */
static int stage(struct client_dialog *dialog, struct buffer *out, struct slice bytes)
{
	if (bytes.length > out->maximum - out->length && flush(dialog, out) != 0)
		return -1;
	if (bytes.length > out->maximum)
		return send_all(dialog, bytes.data, bytes.length, CLIENT_DIALOG_DATA_TIMEOUT);
	buffer_append_slice(out, bytes);
	return 0;
}

/* Stages every line, with a "." added before each that starts with one (§4.5.2). */
static int stage_lines(struct client_dialog *dialog, struct buffer *out, struct slice message)
{
	while (message.length > 0) {
		const char *crlf = memmem(message.data, message.length, "\r\n", 2);
		size_t length = crlf ? (size_t)(crlf - message.data) + 2 : message.length;

		if (message.data[0] == '.' && stage(dialog, out, slice_from_string(".")) != 0)
			return -1;
		if (stage(dialog, out, slice_make(message.data, length)) != 0)
			return -1;
		message = slice_skip(message, length);
	}
	return 0;
}

static bool ends_with_crlf(struct slice message)
{
	return message.length >= 2 && memcmp(message.data + message.length - 2, "\r\n", 2) == 0;
}

int client_dialog_send_message(struct client_dialog *dialog, struct slice message)
{
	struct buffer out;
	int result = -1;

	buffer_init(&out, SEND_CHUNK);
	if (stage_lines(dialog, &out, message) != 0)
		goto done;
	if (message.length > 0 && !ends_with_crlf(message) && stage(dialog, &out, slice_from_string("\r\n")) != 0)
		goto done;
	if (stage(dialog, &out, slice_from_string(".\r\n")) != 0 || flush(dialog, &out) != 0)
		goto done;
	result = client_dialog_read_reply(dialog, CLIENT_DIALOG_DATA_END_TIMEOUT);
done:
	buffer_free(&out);
	return result;
}

bool client_dialog_has_extension(const struct client_dialog *dialog, const char *keyword)
{
	struct slice rest = buffer_slice(&dialog->text);
	size_t length = strlen(keyword);

	for (;;) {
		long lf = slice_find_byte(rest, '\n');
		if (lf < 0)
			return false;
		rest = slice_skip(rest, (size_t)lf + 1); /* the first line is the greeting, not a keyword */
		if (slice_has_prefix_nocase(rest, keyword) &&
		    (rest.length == length || rest.data[length] == ' ' || rest.data[length] == '\n'))
			return true;
	}
}

void client_dialog_init(struct client_dialog *dialog, int fd)
{
	dialog->fd = fd;
	buffer_init(&dialog->input, CLIENT_DIALOG_REPLY_MAX);
	buffer_init(&dialog->text, CLIENT_DIALOG_REPLY_MAX);
	dialog->code = 0;
	dialog->error[0] = '\0';
}

void client_dialog_free(struct client_dialog *dialog)
{
	if (dialog == NULL)
		return;
	buffer_free(&dialog->input);
	buffer_free(&dialog->text);
}
