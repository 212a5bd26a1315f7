/* client_session_driver: runs one client_session (src/smtp/client_session.h) against a server
 * named on the command line and prints its result, for the integration tests:
 *   outcome=done stage=quit tls="TLS1.3 ..." verified=yes reply="250 ..."
 *   rcpt=<addr> delivered=yes reply="250 2.0.0 Ok"      (one line per recipient)
 * Exit 0 once the session ended (whatever its outcome), 2 on a usage or setup error.
 * It is a test tool: no MX lookup, no retry, no queue. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/tls_client.h"
#include "smtp/client_session.h"
#include "util/log.h"
#include "util/xalloc.h"

#define DRIVER_RECIPIENTS_MAX 100
#define DRIVER_MESSAGE_MAX    (64L * 1024 * 1024)

struct driver {
	struct client_request request;
	struct client_message message;
	struct client_recipient recipients[DRIVER_RECIPIENTS_MAX];
	const char *tls;
	const char *ca_file;
	const char *message_file;
	struct event_base *base;
};

static void usage(void)
{
	fprintf(stderr, "usage: client_session_driver --connect IP:PORT --helo NAME --from ADDR --to ADDR... "
	                "--message FILE [--tls opportunistic|required|implicit|none] [--ca-file F] [--host-name N] "
	                "[--auth-user U --auth-password P] [--timeout SECONDS] [--source IP] [--eightbit] "
	                "[--smtputf8] [--debug]\n");
	exit(2);
}

/* "IP:PORT" or "[IPv6]:PORT" into a socket address; port 0 for a source address. */
static int parse_address(const char *text, bool with_port, struct sockaddr_storage *out, socklen_t *length)
{
	char host[128];
	const char *colon = with_port ? strrchr(text, ':') : NULL;
	size_t host_length = colon ? (size_t)(colon - text) : strlen(text);
	unsigned port = colon ? (unsigned)atoi(colon + 1) : 0;
	struct sockaddr_in *v4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;

	if ((with_port && colon == NULL) || host_length >= sizeof host)
		return -1;
	memcpy(host, text, host_length);
	host[host_length] = '\0';
	if (host[0] == '[' && host_length > 2 && host[host_length - 1] == ']') {
		memmove(host, host + 1, host_length - 2);
		host[host_length - 2] = '\0';
	}
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*length = sizeof *v4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*length = sizeof *v6;
		return 0;
	}
	return -1;
}

static char *read_file(const char *path, size_t *length)
{
	FILE *file = fopen(path, "rb");
	char *data = xmalloc(DRIVER_MESSAGE_MAX);

	if (file == NULL) {
		perror(path);
		exit(2);
	}
	*length = fread(data, 1, DRIVER_MESSAGE_MAX, file);
	fclose(file);
	return data;
}

static enum client_tls_policy parse_policy(const char *name)
{
	if (strcmp(name, "required") == 0)
		return CLIENT_TLS_REQUIRED;
	if (strcmp(name, "implicit") == 0)
		return CLIENT_TLS_IMPLICIT;
	if (strcmp(name, "opportunistic") != 0 && strcmp(name, "none") != 0)
		usage();
	return CLIENT_TLS_OPPORTUNISTIC;
}

static void parse_arguments(struct driver *driver, int argc, char **argv, struct sockaddr_storage *source)
{
	static const struct option options[] = {
	    {"connect", required_argument, NULL, 'c'},   {"helo", required_argument, NULL, 'h'},
	    {"from", required_argument, NULL, 'f'},      {"to", required_argument, NULL, 't'},
	    {"message", required_argument, NULL, 'm'},   {"tls", required_argument, NULL, 'T'},
	    {"ca-file", required_argument, NULL, 'C'},   {"host-name", required_argument, NULL, 'n'},
	    {"auth-user", required_argument, NULL, 'u'}, {"auth-password", required_argument, NULL, 'p'},
	    {"timeout", required_argument, NULL, 'o'},   {"source", required_argument, NULL, 's'},
	    {"eightbit", no_argument, NULL, '8'},        {"smtputf8", no_argument, NULL, 'U'},
	    {"debug", no_argument, NULL, 'd'},           {NULL, 0, NULL, 0}};
	struct client_request *request = &driver->request;
	socklen_t source_length;
	int option;

	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (option) {
		case 'c':
			if (parse_address(optarg, true, &request->address, &request->address_length) != 0)
				usage();
			break;
		case 'h':
			request->helo_name = optarg;
			break;
		case 'f':
			driver->message.sender = optarg;
			break;
		case 't':
			if (driver->message.recipient_count == DRIVER_RECIPIENTS_MAX)
				usage();
			driver->recipients[driver->message.recipient_count++].address = optarg;
			break;
		case 'm':
			driver->message_file = optarg;
			break;
		case 'T':
			driver->tls = optarg;
			break;
		case 'C':
			driver->ca_file = optarg;
			break;
		case 'n':
			request->host_name = optarg;
			break;
		case 'u':
			request->auth_user = optarg;
			break;
		case 'p':
			request->auth_password = optarg;
			break;
		case 'o':
			request->command_timeout = request->connect_timeout = (unsigned)atoi(optarg);
			break;
		case 's':
			if (parse_address(optarg, false, source, &source_length) != 0)
				usage();
			request->source = (const struct sockaddr *)source;
			request->source_length = source_length;
			break;
		case '8':
			driver->message.eightbit = true;
			break;
		case 'U':
			driver->message.smtputf8 = true;
			break;
		case 'd':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		default:
			usage();
		}
	}
	if (request->address_length == 0 || request->helo_name == NULL || driver->message.sender == NULL ||
	    driver->message_file == NULL || (request->auth_user != NULL) != (request->auth_password != NULL))
		usage();
}

/* Writes text double-quoted, with '"', '\' and control or non-ASCII bytes escaped. */
static void print_quoted(const char *text)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void print_result(void *context, const struct client_result *result)
{
	static const char *const outcomes[] = {"done", "connect_failed", "protocol_failed", "tls_failed"};
	struct driver *driver = context;

	printf("outcome=%s stage=%s tls=", outcomes[result->outcome], result->stage);
	print_quoted(result->tls);
	printf(" verified=%s reply=", result->tls_verified ? "yes" : "no");
	print_quoted(result->reply.text);
	printf(" code=%d\n", result->reply.code);
	for (size_t i = 0; i < driver->message.recipient_count; i++) {
		const struct client_recipient *recipient = &driver->recipients[i];
		printf("rcpt=<%s> delivered=%s reply=", recipient->address, recipient->delivered ? "yes" : "no");
		print_quoted(recipient->reply.text);
		printf(" code=%d\n", recipient->reply.code);
	}
	event_base_loopbreak(driver->base);
}

int main(int argc, char **argv)
{
	static struct driver driver;
	struct sockaddr_storage source;
	char error[512];
	char *content;
	size_t length;

	log_open("client_session_driver", true);
	driver.tls = "opportunistic";
	driver.message.recipients = driver.recipients;
	driver.request.message = &driver.message;
	parse_arguments(&driver, argc, argv, &source);
	driver.request.tls = parse_policy(driver.tls);
	if (strcmp(driver.tls, "none") != 0 &&
	    (driver.request.tls_context = tls_client_context_create(driver.ca_file, error, sizeof error)) == NULL) {
		fprintf(stderr, "client_session_driver: %s\n", error);
		return 2;
	}
	content = read_file(driver.message_file, &length);
	driver.message.content = slice_make(content, length);
	driver.base = event_base_new();
	client_session_start(driver.base, &driver.request, print_result, &driver);
	event_base_dispatch(driver.base);
	event_base_free(driver.base);
	SSL_CTX_free(driver.request.tls_context);
	free(content);
	return 0;
}
