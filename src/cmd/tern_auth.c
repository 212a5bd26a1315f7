/* tern auth: the Authentication-Results field ternd would add to a message from a client, on
 * the daemon's own code path (SPF as at MAIL FROM, then mailauth/inbound_auth: DKIM, DMARC):
 *   tern auth --ip ADDR [--helo NAME] [--sender ADDR] [--authserv-id ID]
 *             [--resolver ADDR[:PORT]] < message
 * --sender "" (or none) is the null reverse-path. The authserv-id defaults to this machine's
 * name (ternd uses its configured hostname). The field is printed with LF line endings; exit
 * 0 whatever the results, 1 when the message cannot be read or checked, 2 on a usage error. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/tern_commands.h"
#include "cmd/tern_input.h"
#include "mailauth/inbound_auth.h"

struct auth_question {
	struct event_base *base;
	struct resolver *resolver;
	struct org_domain *list;
	struct inbound_auth_request request;
	unsigned spf_pending;
	bool answered;
};

static int usage(void)
{
	fputs("usage: tern auth --ip ADDR [--helo NAME] [--sender ADDR] [--authserv-id ID] "
	      "[--resolver ADDR[:PORT]] < message\n",
	      stderr);
	return 2;
}

static void on_verdict(void *context, const struct inbound_auth_verdict *verdict)
{
	struct auth_question *question = context;

	for (size_t i = 0; i < verdict->field.length; i++)
		if (verdict->field.data[i] != '\r')
			putchar(verdict->field.data[i]);
	question->answered = true;
	event_base_loopbreak(question->base);
}

static void spf_settled(struct auth_question *question)
{
	if (--question->spf_pending == 0)
		inbound_auth_check(question->resolver, question->list, &question->request,
		                   question->request.message.length + 64 * 1024, on_verdict, question);
}

static void on_spf_mailfrom(void *context, const struct spf_outcome *outcome)
{
	struct auth_question *question = context;

	inbound_auth_keep_spf(&question->request.spf_mailfrom, outcome);
	spf_settled(question);
}

static void on_spf_helo(void *context, const struct spf_outcome *outcome)
{
	struct auth_question *question = context;

	inbound_auth_keep_spf(&question->request.spf_helo, outcome);
	spf_settled(question);
}

static int check(struct auth_question *question, const char *ip, const char *server)
{
	char error[256];
	struct inbound_auth_request *request = &question->request;

	question->resolver = resolver_create(question->base, server, NULL, error, sizeof error);
	question->list = org_domain_load(NULL, error, sizeof error);
	if (question->resolver == NULL || question->list == NULL) {
		fprintf(stderr, "tern auth: %s\n", error);
		return 1;
	}
	question->spf_pending = 1 + (request->helo[0] != '\0');
	if (spf_check(question->resolver, ip, request->helo, request->sender, on_spf_mailfrom, question) == NULL) {
		fprintf(stderr, "tern auth: %s is not an IP address\n", ip);
		return 2;
	}
	if (request->helo[0] != '\0')
		spf_check(question->resolver, ip, request->helo, NULL, on_spf_helo, question);
	event_base_dispatch(question->base);
	return question->answered && fflush(stdout) == 0 ? 0 : 1;
}

int tern_auth(int argc, char **argv)
{
	static const struct option options[] = {
	    {"ip", required_argument, NULL, 'i'},          {"helo", required_argument, NULL, 'h'},
	    {"sender", required_argument, NULL, 's'},      {"authserv-id", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0}};
	const char *ip = NULL, *server = tern_resolver();
	char hostname[256] = "localhost";
	struct auth_question question = {.request = {.authserv_id = hostname, .sender = "", .helo = ""}};
	struct buffer message;
	int option, status = 1;

	gethostname(hostname, sizeof hostname - 1);
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (option) {
		case 'i': ip = optarg; break;
		case 'h': question.request.helo = optarg; break;
		case 's': question.request.sender = optarg; break;
		case 'a': question.request.authserv_id = optarg; break;
		default: return usage();
		}
	}
	if (optind != argc || ip == NULL)
		return usage();
	buffer_init(&message, TERN_INPUT_MESSAGE_MAX);
	question.base = event_base_new();
	if (question.base != NULL && tern_input_read_message(&message) == 0) {
		question.request.message = buffer_slice(&message);
		status = check(&question, ip, server);
	}
	resolver_free(question.resolver);
	org_domain_free(question.list);
	if (question.base != NULL)
		event_base_free(question.base);
	buffer_free(&message);
	return status;
}
