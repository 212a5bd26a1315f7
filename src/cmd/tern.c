/* tern: the admin's command. `tern SUBCOMMAND ...`; invoked as `sendmail` (a symlink), it is
 * `tern sendmail`, so cron, PHP and git find the sendmail(8) they expect. */
#include <stdio.h>
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

static int usage(void)
{
	fputs("usage: tern COMMAND [ARGUMENTS]\n", stderr);
	for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
		fprintf(stderr, "  %-9s %s\n", subcommands[i].name, subcommands[i].summary);
	return 2;
}

int main(int argc, char **argv)
{
	const char *program = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (strcmp(program, "sendmail") == 0)
		return tern_sendmail(argc, argv);
	if (argc < 2)
		return usage();
	for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tern: unknown command \"%s\"\n", argv[1]);
	return usage();
}
