/* tern dkim verify [--resolver ADDR[:PORT]] < message: the DKIM signatures of a message checked
 * as ternd checks them (RFC 6376 §6.1, dkim_verify), keys looked up in DNS (--resolver asks that
 * recursive server instead of /etc/resolv.conf's). One line per signature, in header order,
 * the RFC 8601 result word first, then d=, s=, a=, i= (if any), the start of b= (header.b)
 * and why; "none" for a message without a signature. Exit 0 whatever the results: 2 for usage,
 * 1 when the message or the resolver cannot be had. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/tern_commands.h"
#include "cmd/tern_dkim.h"
#include "cmd/tern_input.h"
#include "mailauth/dkim_verify.h"

struct verify_run {
	struct event_base *base;
	bool done;
};

static int usage(void)
{
	fputs("usage: tern dkim verify [--resolver ADDR[:PORT]] < message\n", stderr);
	return 2;
}

static void print_result(const struct dkim_check_result *result)
{
	fputs(dkim_check_status_name(result->status), stdout);
	if (result->domain[0] != '\0')
		printf(" d=%s s=%s a=%s", result->domain, result->selector, result->algorithm);
	if (result->identity[0] != '\0')
		printf(" i=%s", result->identity);
	if (result->header_b[0] != '\0')
		printf(" b=%s", result->header_b);
	printf(": %s\n", result->reason);
}

static void on_results(void *context, const struct dkim_check_result *results, size_t count)
{
	struct verify_run *run = context;

	if (count == 0)
		puts("none: no DKIM signature");
	for (size_t i = 0; i < count; i++)
		print_result(&results[i]);
	run->done = true;
	event_base_loopbreak(run->base);
}

static int verify(struct slice message, const char *server)
{
	struct verify_run run = {event_base_new(), false};
	struct resolver *resolver;
	char error[256];

	if (run.base == NULL) {
		fputs("tern dkim: cannot create an event loop\n", stderr);
		return 1;
	}
	if ((resolver = resolver_create(run.base, server, NULL, error, sizeof error)) == NULL) {
		fprintf(stderr, "tern dkim: %s\n", error);
		event_base_free(run.base);
		return 1;
	}
	dkim_verify_message(resolver, message, on_results, &run);
	event_base_dispatch(run.base);
	resolver_free(resolver);
	event_base_free(run.base);
	return run.done && fflush(stdout) == 0 ? 0 : 1;
}

int tern_dkim_verify(int argc, char **argv)
{
	static const struct option options[] = {{NULL, 0, NULL, 0}};
	const char *server = tern_resolver();
	struct buffer message;
	int option, status = 1;

	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option != 'r')
			return usage();
		server = optarg;
	}
	if (optind != argc)
		return usage();
	buffer_init(&message, TERN_INPUT_MESSAGE_MAX);
	if (tern_input_read_message(&message) == 0)
		status = verify(buffer_slice(&message), server);
	buffer_free(&message);
	return status;
}
