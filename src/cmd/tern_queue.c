/* tern queue: what is waiting in the spool and why, and the admin's levers.
 *   tern queue [-c FILE] list [--json]          every message: age, sender, each recipient's
 *   tern queue [-c FILE] show ID [--json]       state, attempts, next try and last error
 *   tern queue [-c FILE] flush [ID]|hold ID|release ID|delete ID    (asks the running ternd)
 * Listing reads the spool files directly, so it works with ternd stopped; the levers go over
 * ternd's control socket. The config comes from -c, $TERN_CONFIG or /etc/tern/ternd.conf. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cmd/tern_commands.h"
#include "conf/config.h"
#include "queue/spool.h"
#include "util/xalloc.h"

struct listing {
	char **ids;
	size_t count;
};

static int compare_ids(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The ids of complete-looking envelopes, sorted (time order). */
static void list_ids(const char *directory, struct listing *listing)
{
	DIR *spool = opendir(directory);
	struct dirent *entry;

	while (spool && (entry = readdir(spool)) != NULL) {
		size_t length = strlen(entry->d_name);
		if (length < 5 || length >= SPOOL_ID_SIZE + 4 || strcmp(entry->d_name + length - 4, ".env") != 0)
			continue;
		listing->ids = xrealloc(listing->ids, (listing->count + 1) * sizeof *listing->ids);
		listing->ids[listing->count++] = xstrndup(entry->d_name, length - 4);
	}
	if (spool)
		closedir(spool);
	qsort(listing->ids, listing->count, sizeof *listing->ids, compare_ids);
}

static long long message_size(const char *directory, const char *id)
{
	char path[4096];
	struct stat info;

	snprintf(path, sizeof path, "%s/%s.msg", directory, id);
	return stat(path, &info) == 0 ? (long long)info.st_size : -1;
}

static void print_time(time_t when, char *out, size_t size)
{
	struct tm local;
	localtime_r(&when, &local);
	strftime(out, size, "%Y-%m-%d %H:%M:%S", &local);
}

static const char *state_name(enum recipient_state state)
{
	return state == RECIPIENT_PENDING ? "pending" : state == RECIPIENT_DELIVERED ? "delivered" : "failed";
}

static void print_json_string(const char *text)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void print_human(const struct envelope *envelope, long long size, bool show_history)
{
	char created[32], next[32];

	print_time(envelope->created, created, sizeof created);
	print_time(envelope->next_attempt, next, sizeof next);
	printf("%s  %s  %lld bytes  from <%s>%s\n", envelope->id, created, size, envelope->sender,
	       envelope->held ? "  [held]" : "");
	for (size_t i = 0; i < envelope->recipient_count; i++) {
		const struct envelope_recipient *r = &envelope->recipients[i];
		printf("    %-40s %s, %u attempt%s", r->address, state_name(r->state), r->attempts, r->attempts == 1 ? "" : "s");
		if (r->state == RECIPIENT_PENDING && !envelope->held)
			printf(", next try %s", next);
		printf("%s\n", r->mailbox ? "  (local)" : "");
		if (r->last_error)
			printf("        last: %s\n", r->last_error);
		for (size_t k = 0; show_history && k < r->history_count; k++)
			printf("        attempt %zu: %s\n", k + 1, r->history[k]);
	}
}

static void print_json(const struct envelope *envelope, long long size)
{
	printf("{\"id\":");
	print_json_string(envelope->id);
	printf(",\"created\":%lld,\"next_attempt\":%lld,\"size\":%lld,\"held\":%s,\"sender\":", (long long)envelope->created,
	       (long long)envelope->next_attempt, size, envelope->held ? "true" : "false");
	print_json_string(envelope->sender);
	printf(",\"recipients\":[");
	for (size_t i = 0; i < envelope->recipient_count; i++) {
		const struct envelope_recipient *r = &envelope->recipients[i];
		printf("%s{\"address\":", i ? "," : "");
		print_json_string(r->address);
		printf(",\"local\":%s,\"state\":\"%s\",\"attempts\":%u,\"last_error\":", r->mailbox ? "true" : "false",
		       state_name(r->state), r->attempts);
		if (r->last_error)
			print_json_string(r->last_error);
		else
			printf("null");
		printf(",\"history\":[");
		for (size_t k = 0; k < r->history_count; k++) {
			printf("%s", k ? "," : "");
			print_json_string(r->history[k]);
		}
		printf("]}");
	}
	printf("]}");
}

static int list(const struct config *config, const char *only, bool json)
{
	struct spool *spool = spool_open(config->spool_directory);
	struct listing listing = {0};
	size_t shown = 0;

	if (spool == NULL)
		return fprintf(stderr, "tern queue: %s: %s\n", config->spool_directory, strerror(errno)), EX_IOERR;
	list_ids(config->spool_directory, &listing);
	if (json)
		printf("[");
	for (size_t i = 0; i < listing.count; i++) {
		struct envelope envelope = {0};
		if ((only == NULL || strcmp(only, listing.ids[i]) == 0) &&
		    spool_read_envelope(spool, listing.ids[i], &envelope) == 0) {
			long long size = message_size(config->spool_directory, listing.ids[i]);
			if (json) {
				printf("%s", shown ? "," : "");
				print_json(&envelope, size);
			} else {
				print_human(&envelope, size, only != NULL);
			}
			shown++;
		}
		envelope_free(&envelope);
		free(listing.ids[i]);
	}
	free(listing.ids);
	spool_close(spool);
	if (json)
		printf("]\n");
	else if (only == NULL)
		printf("-- %zu message%s in the queue\n", shown, shown == 1 ? "" : "s");
	if (only != NULL && shown == 0)
		return fprintf(stderr, "tern queue: no message %s\n", only), 1;
	return 0;
}

/* Sends one command to ternd's control socket and prints its answer. */
static int ask_daemon(const struct config *config, const char *command)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	char answer[512];
	ssize_t got;
	int fd;

	if (config->control_socket == NULL)
		return fputs("tern queue: the config has no control-socket; add one to manage the queue\n", stderr), EX_CONFIG;
	snprintf(address.sun_path, sizeof address.sun_path, "%s", config->control_socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
		fprintf(stderr, "tern queue: cannot reach ternd at %s: %s\n", config->control_socket, strerror(errno));
		return EX_UNAVAILABLE;
	}
	if (write(fd, command, strlen(command)) < 0 || (got = read(fd, answer, sizeof answer - 1)) <= 0) {
		close(fd);
		return fprintf(stderr, "tern queue: no answer from ternd\n"), EX_TEMPFAIL;
	}
	close(fd);
	answer[got] = '\0';
	fputs(answer, strncmp(answer, "ok", 2) == 0 ? stdout : stderr);
	return strncmp(answer, "ok", 2) == 0 ? 0 : 1;
}

static int usage(void)
{
	fputs("usage: tern queue [-c FILE] list [--json] | show ID [--json] | flush [ID] | hold ID | release ID | delete ID\n",
	      stderr);
	return EX_USAGE;
}

static int act(const struct config *config, int argc, char **argv)
{
	bool json = argc > 0 && strcmp(argv[argc - 1], "--json") == 0;
	char command[128];

	argc -= json;
	if (argc == 0 || (argc == 1 && strcmp(argv[0], "list") == 0))
		return list(config, NULL, json);
	if (argc == 2 && strcmp(argv[0], "show") == 0)
		return list(config, argv[1], json);
	if ((argc == 1 && strcmp(argv[0], "flush") == 0) ||
	    (argc == 2 && (strcmp(argv[0], "flush") == 0 || strcmp(argv[0], "hold") == 0 ||
	                   strcmp(argv[0], "release") == 0 || strcmp(argv[0], "delete") == 0))) {
		if (argc == 2 && strpbrk(argv[1], " \n\r") != NULL)
			return usage();
		snprintf(command, sizeof command, "%s%s%s\n", argv[0], argc == 2 ? " " : "", argc == 2 ? argv[1] : "");
		return ask_daemon(config, command);
	}
	return usage();
}

int tern_queue(int argc, char **argv)
{
	const char *path = getenv("TERN_CONFIG") ? getenv("TERN_CONFIG") : "/etc/tern/ternd.conf";
	struct buffer errors;
	struct config *config;
	int status;

	argc--, argv++;
	if (argc >= 2 && strcmp(argv[0], "-c") == 0) {
		path = argv[1];
		argc -= 2, argv += 2;
	}
	buffer_init(&errors, 1024 * 1024);
	config = config_load(path, &errors);
	if (config == NULL) {
		fputs(errors.length ? errors.data : "tern queue: cannot load the config\n", stderr);
		buffer_free(&errors);
		return EX_CONFIG;
	}
	buffer_free(&errors);
	status = act(config, argc, argv);
	config_free(config);
	return status;
}
