/* resolver_driver: asks src/dns/resolver.h the questions named on the command line, all at
 * once, and prints one line per answer as it arrives, for the integration tests:
 *   resolver_driver SERVER [--free-in-callback | --free-after MS] NAME TYPE [NAME TYPE]...
 *   example.test MX OK secure=0 canonical="" 10 mx.example.test
 * TYPE is A, AAAA, MX, PTR, TXT or TLSA; TXT shows as a quoted string, TLSA as hex.
 * --free-in-callback frees the resolver inside the first callback; --free-after frees it
 * after MS milliseconds: either way no callback may run afterwards ("late callback" if one
 * does), and ASan's leak check sees that nothing is left behind. Exit 0, or 2 on usage. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/rdata.h"
#include "dns/resolver.h"

struct driver {
	struct resolver *resolver;
	bool free_in_callback;
	bool freed;
};

struct question {
	struct driver *driver;
	const char *name;
	enum dns_type type;
};

static const char *const status_names[] = {"OK", "NODATA", "NXDOMAIN", "TEMPFAIL", "BOGUS"};

static void print_record(const struct dns_record *record)
{
	char text[INET6_ADDRSTRLEN];

	if (record->type == DNS_A || record->type == DNS_AAAA) {
		printf(" %s",
		       inet_ntop(record->type == DNS_A ? AF_INET : AF_INET6, record->address, text, sizeof text));
	} else if (record->type == DNS_MX) {
		printf(" %u %s", record->preference, record->name);
	} else if (record->type == DNS_PTR) {
		printf(" %s", record->name);
	} else if (record->type == DNS_TXT) {
		printf(" \"");
		for (size_t i = 0; i < record->text_length; i++) {
			unsigned char byte = (unsigned char)record->text[i];
			printf(byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\' ? "%c" : "\\x%02x", byte);
		}
		printf("\"");
	} else {
		putchar(' ');
		for (size_t i = 0; i < record->data_length; i++)
			printf("%02x", record->data[i]);
	}
}

static void on_answer(void *context, const struct dns_answer *answer)
{
	struct question *question = context;
	struct driver *driver = question->driver;

	if (driver->freed) {
		printf("late callback %s\n", question->name);
		return;
	}
	printf("%s %s %s secure=%d canonical=\"%s\"", question->name, rdata_type_name(question->type),
	       status_names[answer->status], answer->secure, answer->canonical);
	for (size_t i = 0; i < answer->count; i++)
		print_record(&answer->records[i]);
	if (answer->why[0])
		printf(" why=\"%s\"", answer->why);
	printf(" pending=%u\n", resolver_pending(driver->resolver));
	fflush(stdout);
	if (driver->free_in_callback) {
		resolver_free(driver->resolver);
		driver->freed = true;
	}
}

static void on_free_timer(evutil_socket_t fd, short events, void *context)
{
	struct driver *driver = context;

	printf("freeing with pending=%u\n", resolver_pending(driver->resolver));
	resolver_free(driver->resolver);
	driver->freed = true;
}

static bool parse_type(const char *text, enum dns_type *type)
{
	static const enum dns_type types[] = {DNS_A, DNS_AAAA, DNS_MX, DNS_PTR, DNS_TXT, DNS_TLSA};

	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (strcmp(text, rdata_type_name(types[i])) == 0)
			return *type = types[i], true;
	return false;
}

int main(int argc, char **argv)
{
	struct driver driver = {0};
	struct event_base *base = event_base_new();
	struct event *timer = NULL;
	struct question *questions = calloc((size_t)argc, sizeof *questions);
	char error[256];
	int next = 2;

	if (argc < 4 || base == NULL || questions == NULL)
		goto usage;
	if (strcmp(argv[next], "--free-in-callback") == 0) {
		driver.free_in_callback = true;
		next++;
	} else if (strcmp(argv[next], "--free-after") == 0 && next + 1 < argc) {
		long milliseconds = atol(argv[next + 1]);
		struct timeval delay = {milliseconds / 1000, (milliseconds % 1000) * 1000};
		timer = evtimer_new(base, on_free_timer, &driver);
		evtimer_add(timer, &delay);
		next += 2;
	}
	if ((argc - next) % 2 != 0 || next >= argc)
		goto usage;
	driver.resolver = resolver_create(base, argv[1], NULL, error, sizeof error);
	if (driver.resolver == NULL) {
		fprintf(stderr, "resolver_driver: %s\n", error);
		return 2;
	}
	for (int i = next, k = 0; i < argc; i += 2, k++) {
		questions[k] = (struct question){&driver, argv[i], DNS_A};
		if (!parse_type(argv[i + 1], &questions[k].type))
			goto usage;
		resolver_query(driver.resolver, argv[i], questions[k].type, on_answer, &questions[k]);
	}
	printf("asked pending=%u\n", resolver_pending(driver.resolver));
	while (!driver.freed && resolver_pending(driver.resolver) > 0)
		event_base_loop(base, EVLOOP_ONCE);
	if (!driver.freed)
		resolver_free(driver.resolver);
	if (timer)
		event_free(timer);
	event_base_free(base);
	free(questions);
	return 0;
usage:
	fprintf(stderr, "usage: resolver_driver SERVER [--free-in-callback | --free-after MS] NAME TYPE...\n");
	return 2;
}
