/* tern passwd [NAME]: prints a crypt(3) hash of a password (yescrypt, see policy/password.h),
 * or "NAME:hash", a line for a users file. On a terminal it asks twice with echo off; otherwise
 * it reads the first line of standard input (for scripts), without its line ending.
 * It does not edit users files or check that NAME exists anywhere. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cmd/tern_commands.h"
#include "conf/users_file.h"
#include "policy/password.h"

enum read_result { READ_OK, READ_EMPTY, READ_TOO_LONG, READ_ERROR };

/* Reads one line from fd, a byte at a time so nothing after it is consumed, into line, without
 * "\n" or "\r\n". The line holds at most size - 2 bytes: one is kept for the NUL and one for a
 * CR to strip. An empty line, or end of input at once, is READ_EMPTY. With wait_mask, each byte
 * is waited for by ppoll under that signal mask, so a signal blocked otherwise ends the wait
 * (READ_ERROR, errno EINTR) whenever it comes, never in a gap before a blocking read. */
static enum read_result read_line(int fd, char *line, size_t size, const sigset_t *wait_mask)
{
	struct pollfd wait = {.fd = fd, .events = POLLIN};
	size_t length = 0;
	bool too_long = false;
	char c;

	for (;;) {
		ssize_t got;
		if (wait_mask != NULL && ppoll(&wait, 1, NULL, wait_mask) < 0)
			return READ_ERROR;
		if ((got = read(fd, &c, 1)) < 0)
			return READ_ERROR;
		if (got == 0 || c == '\n')
			break;
		if (length + 1 < size)
			line[length++] = c;
		else
			too_long = true;
	}
	if (length > 0 && line[length - 1] == '\r')
		length--;
	else if (length + 2 > size)
		too_long = true;
	line[length] = '\0';
	if (too_long)
		return READ_TOO_LONG;
	return length == 0 ? READ_EMPTY : READ_OK;
}

static void ignore_signal(int signal_number) { (void)signal_number; }

/* The signals a user may send while echo is off. They are blocked except while waiting for a
 * key, when a no-op handler turns them into EINTR; the terminal is then restored before the
 * signal's own action (if it arrives later) or before exiting, never left silent. */
static const int guarded_signals[3] = {SIGINT, SIGTERM, SIGTSTP};

struct signal_guard {
	struct sigaction saved[3];
	sigset_t original_mask;
};

static void guard_signals(struct signal_guard *guard)
{
	struct sigaction action;
	sigset_t blocked;

	sigemptyset(&blocked);
	for (int i = 0; i < 3; i++)
		sigaddset(&blocked, guarded_signals[i]);
	sigprocmask(SIG_BLOCK, &blocked, &guard->original_mask);
	memset(&action, 0, sizeof action);
	action.sa_handler = ignore_signal; /* no SA_RESTART: ppoll fails with EINTR */
	sigemptyset(&action.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(guarded_signals[i], &action, &guard->saved[i]);
}

/* Restores the actions first, then the mask: a signal still pending takes its usual effect. */
static void unguard_signals(const struct signal_guard *guard)
{
	for (int i = 0; i < 3; i++)
		sigaction(guarded_signals[i], &guard->saved[i], NULL);
	sigprocmask(SIG_SETMASK, &guard->original_mask, NULL);
}

/* Prompts on standard error and reads a line from the terminal on standard input, echo off. */
static enum read_result read_hidden(const char *prompt, char *line, size_t size)
{
	struct termios saved, quiet;
	struct signal_guard guard;
	enum read_result result;
	int read_errno;

	if (tcgetattr(STDIN_FILENO, &saved) != 0)
		return READ_ERROR;
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	guard_signals(&guard);
	/* Echo goes off before the prompt shows, so no answer is typed while it is still on. */
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
		unguard_signals(&guard);
		return READ_ERROR;
	}
	fputs(prompt, stderr);
	fflush(stderr);
	result = read_line(STDIN_FILENO, line, size, &guard.original_mask);
	read_errno = errno;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	if (result == READ_ERROR && read_errno == EINTR)
		fputc('\n', stderr); /* the user's Enter never came */
	unguard_signals(&guard);
	errno = read_errno;
	return result;
}

static const char *read_problem(enum read_result result)
{
	switch (result) {
	case READ_EMPTY:
		return "empty password";
	case READ_TOO_LONG:
		return "password too long (crypt(3) takes at most 511 bytes)";
	case READ_ERROR:
		return errno == EINTR ? "interrupted" : strerror(errno);
	default:
		return NULL;
	}
}

/* Reads the password into password (PASSWORD_MAX + 2 bytes); returns NULL, or why it failed. */
static const char *read_password(char *password, size_t size)
{
	char again[PASSWORD_MAX + 2];
	enum read_result result;
	const char *problem = NULL;

	if (!isatty(STDIN_FILENO))
		return read_problem(read_line(STDIN_FILENO, password, size, NULL));
	if ((result = read_hidden("Password: ", password, size)) != READ_OK)
		return read_problem(result);
	if ((result = read_hidden("Again: ", again, sizeof again)) != READ_OK)
		problem = read_problem(result);
	else if (strcmp(password, again) != 0)
		problem = "the passwords differ";
	OPENSSL_cleanse(again, sizeof again);
	return problem;
}

static int usage(void)
{
	fputs("usage: tern passwd [NAME]   (prints a hash, or NAME:hash for a users file)\n", stderr);
	return 1;
}

int tern_passwd(int argc, char **argv)
{
	char password[PASSWORD_MAX + 2];
	const char *name = argc == 2 ? argv[1] : NULL, *problem;
	char *hash;
	int status = 1;

	if (argc > 2 || (name != NULL && name[0] == '-'))
		return usage();
	if (name != NULL && (problem = users_file_name_problem(slice_from_string(name))) != NULL) {
		fprintf(stderr, "tern passwd: \"%s\" cannot be a user name: %s\n", name, problem);
		return 1;
	}
	if ((problem = read_password(password, sizeof password)) != NULL) {
		fprintf(stderr, "tern passwd: %s\n", problem);
		goto done;
	}
	if ((hash = password_hash(password)) == NULL) {
		fputs("tern passwd: crypt(3) cannot make a yescrypt or sha512crypt hash here\n", stderr);
		goto done;
	}
	if (name != NULL)
		printf("%s:", name);
	printf("%s\n", hash);
	free(hash);
	status = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
	if (status != 0)
		perror("tern passwd: standard output");
done:
	OPENSSL_cleanse(password, sizeof password);
	return status;
}
