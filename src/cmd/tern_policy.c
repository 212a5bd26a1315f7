/* tern policy: answers what ternd would reply to a client for an envelope, and which rule
 * decided, by running the daemon's own policy code on the config:
 *   tern policy -c FILE --ip ADDR [--user NAME] [--port 25|587|465|N] [--helo NAME]
 *               [--resolver ADDR[:PORT]] --from ADDR --to ADDR
 * The port picks the listener role (a configured listener with that port, else 25 = smtp,
 * 587 = submission, 465 = submissions); --user means "authenticated as NAME". On the
 * submission ports TLS is assumed done. Mail from outside on port 25 also gets the SPF check
 * ternd runs at MAIL FROM (spf_check, over the config's resolver unless --resolver says
 * otherwise): refused when the config says `spf reject`, else only shown.
 * Exit 0: accepted; 1: refused; 2: usage error. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/tern_commands.h"
#include "conf/config.h"
#include "mailauth/spf.h"
#include "policy/recipient_policy.h"
#include "policy/sender_policy.h"
#include "smtp/reply.h"

struct policy_question {
	const char *config_path, *ip, *user, *from, *to, *helo, *resolver;
	unsigned port;
};

struct spf_answer {
	struct event_base *base;
	enum spf_result result;
	char reason[512];
	bool answered;
};

static int usage(void)
{
	fputs("usage: tern policy -c FILE --ip ADDR [--user NAME] [--port 25|587|465] [--helo NAME]\n"
	      "                   [--resolver ADDR[:PORT]] --from ADDR --to ADDR\n",
	      stderr);
	return 2;
}

static void on_spf(void *context, const struct spf_outcome *outcome)
{
	struct spf_answer *answer = context;

	answer->result = outcome->result;
	snprintf(answer->reason, sizeof answer->reason, "%s", outcome->reason);
	answer->answered = true;
	event_base_loopbreak(answer->base);
}

/* The SPF result ternd's session would get at MAIL FROM (session_checks.c). false: no answer. */
static bool check_spf(const struct config *config, const struct policy_question *question, struct spf_answer *answer)
{
	char error[256];
	struct resolver *resolver;

	answer->base = event_base_new();
	resolver = resolver_create(answer->base, question->resolver ? question->resolver : config->resolver, NULL,
	                           error, sizeof error);
	if (resolver == NULL)
		fprintf(stderr, "tern policy: %s\n", error);
	else if (spf_check(resolver, question->ip, question->helo, question->from, on_spf, answer) != NULL)
		event_base_dispatch(answer->base);
	resolver_free(resolver);
	event_base_free(answer->base);
	return answer->answered;
}

static unsigned listener_port(const struct config_listener *listener)
{
	const struct sockaddr *address = (const struct sockaddr *)&listener->address;
	return ntohs(address->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)address)->sin6_port
	                                            : ((const struct sockaddr_in *)address)->sin_port);
}

static enum listener_role role_for_port(const struct config *config, unsigned port)
{
	for (size_t i = 0; i < config->listener_count; i++)
		if (listener_port(&config->listeners[i]) == port)
			return config->listeners[i].role;
	return port == 587 ? LISTENER_SUBMISSION : port == 465 ? LISTENER_SUBMISSIONS : LISTENER_SMTP;
}

static bool parse_ip(const char *text, struct sockaddr_storage *address)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)address;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)address;

	memset(address, 0, sizeof *address);
	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1)
		return v4->sin_family = AF_INET, true;
	if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1)
		return v6->sin6_family = AF_INET6, true;
	return false;
}

/* Prints the reply for one step; returns whether it was a success. */
static bool show(const char *step, const char *address, enum reply_id id, const char *hostname, const char *rule)
{
	char line[REPLY_MAX];

	reply_format(id, hostname, address, line, sizeof line);
	line[strcspn(line, "\r\n")] = '\0';
	printf("%-6s <%s>\n  reply: %s\n  rule:  %s\n", step, address, line, rule);
	return reply_code(id) < 400;
}

static int answer(const struct config *config, const struct policy_question *question)
{
	struct sockaddr_storage ip;
	struct address from, to;
	enum listener_role role = role_for_port(config, question->port);
	struct client_standing client = {role, role != LISTENER_SMTP, false, question->user};
	struct recipient_decision decision;
	const char *rule;
	enum sender_verdict sender_verdict;
	char mailbox[ADDRESS_FORMAT_SIZE];
	bool accepted;

	if (!parse_ip(question->ip, &ip))
		return fprintf(stderr, "tern policy: bad IP address \"%s\"\n", question->ip), 2;
	if (address_parse_mailbox(slice_from_string(question->from), ADDRESS_ALLOW_NULL | ADDRESS_ALLOW_UTF8, &from) != ADDRESS_OK ||
	    address_parse_mailbox(slice_from_string(question->to), ADDRESS_ALLOW_POSTMASTER | ADDRESS_ALLOW_UTF8, &to) != ADDRESS_OK)
		return fprintf(stderr, "tern policy: bad address in --from or --to\n"), 2;
	client.trusted = config_is_trusted(config, (const struct sockaddr *)&ip);
	if (question->user && !config_find_login(config, question->user, mailbox, sizeof mailbox))
		return fprintf(stderr, "tern policy: no user \"%s\" in the local domains\n", question->user), 2;
	client.user = question->user ? mailbox : NULL;
	printf("client %s%s%s%s\n", question->ip, client.trusted ? " (trusted network)" : "",
	       question->user ? ", authenticated as " : "", question->user ? question->user : "");
	sender_verdict = sender_policy_decide(config, &client, &from, &rule);
	if (!show("MAIL", question->from, reply_for_sender(sender_verdict), config->hostname, rule))
		return 1;
	if (role == LISTENER_SMTP && !client.trusted && client.user == NULL) {
		struct spf_answer spf = {.answered = false};
		if (!check_spf(config, question, &spf))
			return 2;
		printf("  spf:   %s (%s)%s\n", spf_result_name(spf.result), spf.reason,
		       config->spf_reject ? "" : "; marked only (spf mark)");
		if (config->spf_reject && (spf.result == SPF_FAIL || spf.result == SPF_TEMPERROR)) {
			char line[REPLY_MAX];
			reply_format(spf.result == SPF_FAIL ? REPLY_SPF_FAIL : REPLY_SPF_TEMPERROR, config->hostname,
			             spf.reason, line, sizeof line);
			line[strcspn(line, "\r\n")] = '\0';
			printf("  reply: %s\n  rule:  spf reject\n", line);
			return 1;
		}
	}
	recipient_policy_decide(config, &to, sender_policy_may_relay(&client), &decision);
	accepted = show("RCPT", question->to, reply_for_recipient(decision.verdict), config->hostname, decision.rule);
	for (size_t i = 0; accepted && i < decision.target_count; i++)
		printf("  goes to: %s %s\n", decision.targets[i].mailbox ? "mailbox" : "remote", decision.targets[i].address);
	recipient_decision_free(&decision);
	return accepted ? 0 : 1;
}

int tern_policy(int argc, char **argv)
{
	static const struct option options[] = {
	    {"config", required_argument, NULL, 'c'}, {"ip", required_argument, NULL, 'i'},
	    {"user", required_argument, NULL, 'u'},   {"port", required_argument, NULL, 'p'},
	    {"from", required_argument, NULL, 'f'},   {"to", required_argument, NULL, 't'},
	    {"helo", required_argument, NULL, 'h'},   {NULL, 0, NULL, 0}};
	struct policy_question question = {.port = 25, .resolver = tern_resolver()};
	struct buffer errors;
	struct config *config;
	int option, status;

	while ((option = getopt_long(argc, argv, "c:", options, NULL)) != -1) {
		switch (option) {
		case 'c': question.config_path = optarg; break;
		case 'i': question.ip = optarg; break;
		case 'u': question.user = optarg; break;
		case 'p': question.port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'f': question.from = optarg; break;
		case 't': question.to = optarg; break;
		case 'h': question.helo = optarg; break;
		default: return usage();
		}
	}
	if (!question.config_path || !question.ip || !question.from || !question.to || optind != argc)
		return usage();
	buffer_init(&errors, 1024 * 1024);
	config = config_load(question.config_path, &errors);
	if (config == NULL) {
		fputs(errors.data ? errors.data : "tern policy: cannot load config\n", stderr);
		buffer_free(&errors);
		return 2;
	}
	buffer_free(&errors);
	status = answer(config, &question);
	config_free(config);
	return status;
}
