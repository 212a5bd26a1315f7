/* tern spf: the SPF result (RFC 7208) ternd would find for a client, on the same code path
 * (mailauth/spf.c over the resolver):
 *   tern spf --ip ADDR [--sender ADDR] [--helo NAME] [--resolver ADDR[:PORT]]
 * --sender checks the MAIL FROM identity ("" for the null sender: postmaster@HELO); without
 * it, the HELO identity (§2.3). The first line is the result word (none, neutral, pass, fail,
 * softfail, temperror, permerror), then "key: value" lines saying why. Exit 0 whatever the
 * result; 2 on a usage error or a resolver that cannot be set up. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/tern_commands.h"
#include "mailauth/spf.h"

struct spf_question {
	struct event_base *base;
	bool answered;
};

static int usage(void)
{
	fputs("usage: tern spf --ip ADDR [--sender ADDR] [--helo NAME] [--resolver ADDR[:PORT]]\n", stderr);
	return 2;
}

static void print_line(const char *key, const char *value)
{
	if (value && value[0])
		printf("%s: %s\n", key, value);
}

static void on_result(void *context, const struct spf_outcome *outcome)
{
	struct spf_question *question = context;

	printf("%s\n", spf_result_name(outcome->result));
	print_line("reason", outcome->reason);
	print_line("identity", outcome->identity);
	print_line("sender", outcome->sender);
	print_line("domain", outcome->domain);
	print_line("mechanism", outcome->mechanism);
	print_line("explanation", outcome->explanation);
	fflush(stdout);
	question->answered = true;
	event_base_loopbreak(question->base);
}

static int check(const char *ip, const char *helo, const char *sender, const char *server)
{
	struct spf_question question = {event_base_new(), false};
	struct resolver *resolver;
	char error[256];

	if (question.base == NULL) {
		fputs("tern spf: cannot create an event loop\n", stderr);
		return 2;
	}
	resolver = resolver_create(question.base, server, NULL, error, sizeof error);
	if (resolver == NULL) {
		fprintf(stderr, "tern spf: %s\n", error);
		event_base_free(question.base);
		return 2;
	}
	if (spf_check(resolver, ip, helo, sender, on_result, &question) != NULL)
		event_base_dispatch(question.base);
	resolver_free(resolver);
	event_base_free(question.base);
	return question.answered ? 0 : 2;
}

int tern_spf(int argc, char **argv)
{
	static const struct option options[] = {{"ip", required_argument, NULL, 'i'},
	                                        {"sender", required_argument, NULL, 's'},
	                                        {"helo", required_argument, NULL, 'h'},
	                                        {NULL, 0, NULL, 0}};
	const char *ip = NULL, *sender = NULL, *helo = NULL, *server = tern_resolver();
	unsigned char address[16];
	int option;

	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (option) {
		case 'i':
			ip = optarg;
			break;
		case 's':
			sender = optarg;
			break;
		case 'h':
			helo = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || ip == NULL)
		return usage();
	if (inet_pton(AF_INET, ip, address) != 1 && inet_pton(AF_INET6, ip, address) != 1) {
		fprintf(stderr, "tern spf: --ip \"%s\" is not an IPv4 or IPv6 address\n", ip);
		return 2;
	}
	if (sender == NULL && (helo == NULL || helo[0] == '\0')) {
		fputs("tern spf: --helo is needed to check the HELO identity (no --sender given)\n", stderr);
		return 2;
	}
	return check(ip, helo, sender, server);
}
