/* tern: the admin's command. `tern SUBCOMMAND ...`; invoked as `sendmail` (a symlink), it is
 * `tern sendmail`, so cron, PHP and git find the sendmail(8) they expect. `--resolver
 * ADDR[:PORT]` (or $TERN_RESOLVER) is taken by every command: those that look anything up ask
 * that DNS server instead of the system's (or the config's). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/tern_commands.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"auth", tern_auth, "the Authentication-Results field ternd would add to a message from a client"},
	{"check", tern_check, "audit a domain's mail setup (MX, TLS, SPF, DMARC, DKIM...), a sending IP or our config"},
	{"dkim", tern_dkim, "make DKIM keys and their DNS records; sign a message; verify its signatures"},
	{"passwd", tern_passwd, "print a password hash for a users file"},
	{"policy", tern_policy, "show what ternd would reply to a client for an envelope, and why"},
	{"route", tern_route, "show where mail for a domain goes: MX hosts and addresses, in order"},
	{"queue", tern_queue, "list the queue and why each message waits; flush, hold, release, delete"},
	{"sendmail", tern_sendmail, "submit a message, with sendmail(8) options"},
	{"spf", tern_spf, "the SPF result for a client IP, HELO name and sender, and why"},
};

/* Where --resolver's value goes: the environment, so TERN_RESOLVER=ADDR[:PORT] does the same. */
#define RESOLVER_VARIABLE "TERN_RESOLVER"

const char *tern_resolver(void)
{
	const char *value = getenv(RESOLVER_VARIABLE);

	return value != NULL && value[0] != '\0' ? value : NULL;
}

/* Takes "--resolver ADDR[:PORT]" or "--resolver=ADDR[:PORT]" out of argv, before any "--", so
 * each command parses only its own options. Returns false when the value is missing. */
static bool take_resolver(int *argc, char **argv)
{
	int kept = 1;

	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[kept++] = argv[i++];
			break;
		}
		if (strncmp(argv[i], "--resolver=", 11) == 0) {
			setenv(RESOLVER_VARIABLE, argv[i] + 11, 1);
		} else if (strcmp(argv[i], "--resolver") == 0) {
			if (i + 1 >= *argc)
				return false;
			setenv(RESOLVER_VARIABLE, argv[++i], 1);
		} else {
			argv[kept++] = argv[i];
		}
	}
	argv[kept] = NULL;
	*argc = kept;
	return true;
}

static int usage(void)
{
	fputs("usage: tern [--resolver ADDR[:PORT]] COMMAND [ARGUMENTS]\n", stderr);
	for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
		fprintf(stderr, "  %-9s %s\n", subcommands[i].name, subcommands[i].summary);
	return 2;
}

int main(int argc, char **argv)
{
	const char *program = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (strcmp(program, "sendmail") == 0)
		return tern_sendmail(argc, argv);
	if (!take_resolver(&argc, argv) || argc < 2)
		return usage();
	for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tern: unknown command \"%s\"\n", argv[1]);
	return usage();
}
