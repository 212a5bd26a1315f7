/* tern route: where mail for a domain would go, as ternd's delivery would see it (RFC 5321
 * §5.1 MX order, implicit MX, RFC 7505 null MX, address literals):
 *   tern route DOMAIN [--resolver ADDR[:PORT]] [--port N]
 * --resolver asks that recursive server instead of /etc/resolv.conf's. One host per line:
 * preference, name, addresses in the order tried. Exit 0: a route; 1: no mail (null MX, no
 * such domain, no usable host); 2: usage; 75 (EX_TEMPFAIL): DNS trouble, mail would wait.
 * It does not connect to the hosts, nor apply TLS policy. */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cmd/tern_commands.h"
#include "deliver/route.h"

struct route_question {
	const char *domain;
	struct event_base *base;
	int status;
};

static int usage(void)
{
	fputs("usage: tern route DOMAIN [--resolver ADDR[:PORT]] [--port N]\n", stderr);
	return 2;
}

static const char *address_text(const struct sockaddr_storage *address, char *out, size_t size)
{
	if (address->ss_family == AF_INET6)
		return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)address)->sin6_addr, out, (socklen_t)size);
	return inet_ntop(AF_INET, &((const struct sockaddr_in *)address)->sin_addr, out, (socklen_t)size);
}

static unsigned address_port(const struct sockaddr_storage *address)
{
	if (address->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)address)->sin6_port);
	return ntohs(((const struct sockaddr_in *)address)->sin_port);
}

static void print_hosts(const char *domain, const struct route *route)
{
	static const char *const sources[] = {"MX", "implicit MX, RFC 5321 section 5.1", "address literal", "host"};
	char text[INET6_ADDRSTRLEN];
	unsigned port = address_port(&route->hosts[0].addresses[0]);

	printf("%s: %zu host%s (%s)", domain, route->host_count, route->host_count == 1 ? "" : "s",
	       sources[route->source]);
	if (port != 25)
		printf(", port %u", port);
	putchar('\n');
	for (size_t i = 0; i < route->host_count; i++) {
		const struct route_host *host = &route->hosts[i];
		printf("  %u %s ", host->preference, host->name);
		for (size_t k = 0; k < host->address_count; k++)
			printf(" %s", address_text(&host->addresses[k], text, sizeof text));
		putchar('\n');
	}
	if (route->why[0])
		printf("  note: %s\n", route->why);
}

static void on_route(void *context, const struct route *route)
{
	struct route_question *question = context;

	switch (route->status) {
	case ROUTE_OK:
		print_hosts(question->domain, route);
		question->status = 0;
		break;
	case ROUTE_NULL_MX:
		printf("%s: no mail (null MX, RFC 7505)\n", question->domain);
		question->status = 1;
		break;
	case ROUTE_NO_HOST:
		printf("%s: %s\n", question->domain, route->why);
		question->status = 1;
		break;
	case ROUTE_TEMPFAIL:
		printf("%s: temporary DNS failure: %s\n", question->domain, route->why);
		question->status = EX_TEMPFAIL;
		break;
	}
	event_base_loopbreak(question->base);
}

static int look_up(const char *domain, const char *server, unsigned port)
{
	struct route_question question = {domain, event_base_new(), EX_SOFTWARE};
	struct resolver *resolver;
	char error[256];

	if (question.base == NULL) {
		fputs("tern route: cannot create an event loop\n", stderr);
		return EX_SOFTWARE;
	}
	resolver = resolver_create(question.base, server, NULL, error, sizeof error);
	if (resolver == NULL) {
		fprintf(stderr, "tern route: %s\n", error);
		event_base_free(question.base);
		return 2;
	}
	route_lookup(resolver, domain, port, on_route, &question);
	event_base_dispatch(question.base);
	resolver_free(resolver);
	event_base_free(question.base);
	return question.status;
}

int tern_route(int argc, char **argv)
{
	static const struct option options[] = {{"port", required_argument, NULL, 'p'}, {NULL, 0, NULL, 0}};
	const char *server = tern_resolver();
	unsigned long port = 25;
	char *end;
	int option;

	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option == 'p') {
			port = strtoul(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || port == 0 || port > 65535)
				return usage();
		} else {
			return usage();
		}
	}
	if (optind != argc - 1)
		return usage();
	return look_up(argv[optind], server, (unsigned)port);
}
