/* bounce_driver: builds one DSN with deliver/bounce.c for the integration tests, which parse it
 * with a real MIME parser. Reads the original message (CRLF) on stdin, writes the DSN to stdout.
 *   bounce_driver --sender ADDR [--recipient ADDR:STATUS:ACTION:DIAGNOSTIC]... [--remote-mta HOST]
 *                 [--smtputf8]
 * Everything else (host name, ids, dates, boundary) is fixed, so the output is reproducible.
 * The recipient argument splits at its first three colons: the diagnostic may hold more. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/bounce.h"
#include "util/buffer.h"
#include "util/xalloc.h"

#define DRIVER_RECIPIENTS_MAX 100
#define DRIVER_INPUT_MAX      (64u * 1024 * 1024)
#define DRIVER_OUTPUT_MAX     (16u * 1024 * 1024)

static int usage(void)
{
	fprintf(stderr, "usage: bounce_driver --sender ADDR [--recipient ADDR:STATUS:ACTION:DIAGNOSTIC]... "
	                "[--remote-mta HOST] [--smtputf8] < message\n");
	return 2;
}

/* Splits "ADDR:STATUS:ACTION:DIAGNOSTIC" in place; false when a part is missing. */
static bool parse_recipient(char *text, struct bounce_recipient *recipient)
{
	char *parts[3];

	for (int i = 0; i < 3; i++) {
		char *colon = strchr(text, ':');

		if (colon == NULL)
			return false;
		*colon = '\0';
		parts[i] = text;
		text = colon + 1;
	}
	recipient->address = parts[0];
	recipient->status = parts[1];
	recipient->action = parts[2];
	recipient->diagnostic = text[0] ? text : NULL;
	return true;
}

static bool read_all(FILE *file, struct buffer *out)
{
	char chunk[65536];
	size_t got;

	while ((got = fread(chunk, 1, sizeof chunk, file)) > 0)
		if (!buffer_append(out, chunk, got))
			return false;
	return !ferror(file);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"sender", required_argument, NULL, 's'},
	    {"recipient", required_argument, NULL, 'r'},
	    {"remote-mta", required_argument, NULL, 'm'},
	    {"smtputf8", no_argument, NULL, 'u'},
	    {NULL, 0, NULL, 0},
	};
	struct bounce_recipient recipients[DRIVER_RECIPIENTS_MAX] = {{0}};
	struct bounce_info info = {
	    .reporting_mta = "mx.example.test",
	    .queue_id = "4F2A9C0001",
	    .arrival = 1700000000,
	    .now = 1700003600,
	    .retry_until = 1700432000,
	    .recipients = recipients,
	    .boundary = "tern-0123456789abcdef",
	    .message_id = "<bounce.4F2A9C0001@mx.example.test>",
	};
	const char *remote_mta = NULL;
	struct buffer input, output;
	int option, status = 0;

	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option == 's')
			info.sender = optarg;
		else if (option == 'm')
			remote_mta = optarg;
		else if (option == 'u')
			info.smtputf8 = true;
		else if (option != 'r' || info.recipient_count == DRIVER_RECIPIENTS_MAX ||
		         !parse_recipient(optarg, &recipients[info.recipient_count++]))
			return usage();
	}
	if (info.sender == NULL || optind != argc)
		return usage();
	for (size_t i = 0; i < info.recipient_count; i++)
		recipients[i].remote_mta = remote_mta;
	buffer_init(&input, DRIVER_INPUT_MAX);
	buffer_init(&output, DRIVER_OUTPUT_MAX);
	if (!read_all(stdin, &input)) {
		fprintf(stderr, "bounce_driver: cannot read the message\n");
		status = 1;
		goto done;
	}
	info.original = buffer_slice(&input);
	if (!bounce_build(&info, &output)) {
		fprintf(stderr, "bounce_driver: bounce_build failed\n");
		status = 1;
		goto done;
	}
	if (fwrite(output.data, 1, output.length, stdout) != output.length || fflush(stdout) != 0)
		status = 1;
done:
	buffer_free(&input);
	buffer_free(&output);
	return status;
}
