/* tern check: the deliverability doctor (issue 6). What a receiving server will think of a
 * domain's mail setup, or of a sending IP, in plain words with how to fix each finding:
 *   tern check DOMAIN [--resolver ADDR[:PORT]] [--json] [--ca FILE] [--port N] [--helo NAME]
 *                     [--trust-anchor FILE|none] [--no-probe]
 *   tern check --ip ADDR [--helo NAME] [--explain] [--dnsbl ZONE ...] [--resolver ...] [--json]
 *   tern check --self -c FILE [--resolver ...] [--json]
 * --selector S (repeatable): the DKIM key records to check (selectors cannot be listed from DNS).
 * --self: ternd's config FILE against DNS (check_self); its resolver unless --resolver is given.
 * --ca: the trust anchors for SMTP certificates and the MTA-STS fetch (tests; a private CA),
 * else the system's. --port: the SMTP port to probe instead of 25. --trust-anchor: the DNSSEC
 * root key to validate with (default /usr/share/dns/root.key; "none": no validation, so no
 * answer counts as secure; also when the default file is missing). Colour only on a terminal,
 * and not with NO_COLOR set. Exit 0: all ok; 1: warnings; 2: failures (or a usage error). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check_state.h"
#include "check/check_ip.h"
#include "check/check_domain.h"
#include "check/check_self.h"
#include "conf/config.h"
#include "cmd/tern_commands.h"
#include "deliver/route_order.h"

#define DNSBL_ZONES_MAX      32
#define SELECTORS_MAX        16
#define DEFAULT_TRUST_ANCHOR "/usr/share/dns/root.key" /* Debian's dns-root-data */

/* The well-known IP blocklists that large receivers consult. */
static const char *default_dnsbl_zones[] = {"zen.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org",
                                            "psbl.surriel.com", NULL};

static int usage(void)
{
	fputs("usage: tern check DOMAIN [--resolver ADDR[:PORT]] [--json] [--ca FILE] [--port N] [--helo NAME]\n"
	      "                  [--trust-anchor FILE|none] [--no-probe]\n"
	      "       tern check --ip ADDR [--helo NAME] [--explain] [--dnsbl ZONE ...] [--resolver ADDR[:PORT]] "
	      "[--json]\n"
	      "       tern check --self -c FILE [--resolver ADDR[:PORT]] [--json]\n"
	      "  DOMAIN also takes --selector S (repeatable): the DKIM keys to check\n",
	      stderr);
	return 2;
}

struct arguments {
	struct check_options options;
	const char *ip;
	bool json;
	const char *zones[DNSBL_ZONES_MAX + 1];
	size_t zone_count;
	const char *selectors[SELECTORS_MAX + 1];
	size_t selector_count;
	bool self;
	const char *config;
	char hostname[256];
};

static bool parse_port(const char *text, unsigned *port)
{
	char *end;
	unsigned long value = strtoul(text, &end, 10);

	if (text[0] < '0' || text[0] > '9' || *end != '\0' || value == 0 || value > 65535)
		return false;
	*port = (unsigned)value;
	return true;
}

static int parse(int argc, char **argv, struct arguments *arguments)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"ca", required_argument, NULL, 'a'},           {"port", required_argument, NULL, 'p'},
	    {"https-port", required_argument, NULL, 'H'},   {"helo", required_argument, NULL, 'h'},
	    {"trust-anchor", required_argument, NULL, 't'}, {"no-probe", no_argument, NULL, 'n'},
	    {"ip", required_argument, NULL, 'i'},           {"explain", no_argument, NULL, 'e'},
	    {"dnsbl", required_argument, NULL, 'd'},        {"selector", required_argument, NULL, 'S'},
	    {"self", no_argument, NULL, 's'},               {"config", required_argument, NULL, 'C'},
	    {NULL, 0, NULL, 0}};
	struct check_options *o = &arguments->options;
	int option;

	o->port = 25;
	o->resolver = tern_resolver();
	o->https_port = 443; /* RFC 8461 §3.3 */
	o->trust_anchor = access(DEFAULT_TRUST_ANCHOR, R_OK) == 0 ? DEFAULT_TRUST_ANCHOR : NULL;
	while ((option = getopt_long(argc, argv, "c:", options, NULL)) != -1) {
		switch (option) {
		case 'j':
			arguments->json = true;
			break;
		case 'a':
			o->ca_file = optarg;
			break;
		case 'h':
			o->helo_name = optarg;
			break;
		case 't':
			o->trust_anchor = strcmp(optarg, "none") == 0 ? NULL : optarg;
			break;
		case 'n':
			o->no_probe = true;
			break;
		case 'i':
			arguments->ip = optarg;
			break;
		case 'e':
			o->explain = true;
			break;
		case 'p':
			if (!parse_port(optarg, &o->port))
				return -1;
			break;
		case 'H':
			if (!parse_port(optarg, &o->https_port))
				return -1;
			break;
		case 'd':
			if (arguments->zone_count == DNSBL_ZONES_MAX)
				return -1;
			arguments->zones[arguments->zone_count++] = optarg;
			break;
		case 'S':
			if (arguments->selector_count == SELECTORS_MAX)
				return -1;
			arguments->selectors[arguments->selector_count++] = optarg;
			break;
		case 's':
			arguments->self = true;
			break;
		case 'c':
		case 'C':
			arguments->config = optarg;
			break;
		default:
			return -1;
		}
	}
	o->selectors = arguments->selector_count ? arguments->selectors : NULL;
	if (arguments->self)
		return arguments->config != NULL && arguments->ip == NULL && optind == argc ? 0 : -1;
	if (arguments->config != NULL)
		return -1;
	o->dnsbl_zones = arguments->zone_count ? arguments->zones : default_dnsbl_zones;
	if (arguments->ip != NULL ? optind != argc : optind != argc - 1)
		return -1;
	if (arguments->ip == NULL && !route_order_valid_domain(argv[optind]))
		return -1;
	return 0;
}

/* --self: ternd's config, or NULL after saying why. */
static struct config *load_config(struct arguments *arguments)
{
	struct buffer errors;
	struct config *config;

	buffer_init(&errors, 4096);
	config = config_load(arguments->config, &errors);
	if (config == NULL)
		fprintf(stderr, "tern check: %s:\n%.*s", arguments->config, (int)errors.length, errors.data);
	buffer_free(&errors);
	if (config != NULL && arguments->options.resolver == NULL)
		arguments->options.resolver = config->resolver;
	return config;
}

int tern_check(int argc, char **argv)
{
	struct arguments arguments = {0};
	const char *target;
	struct check_state check;
	struct config *config = NULL;
	char error[256];
	int status;

	if (parse(argc, argv, &arguments) != 0)
		return usage();
	if (arguments.self && (config = load_config(&arguments)) == NULL)
		return 2;
	target = config ? config->hostname : arguments.ip ? arguments.ip : argv[optind];
	if (arguments.options.helo_name == NULL && arguments.ip == NULL && config == NULL) {
		if (gethostname(arguments.hostname, sizeof arguments.hostname - 1) != 0 || !arguments.hostname[0])
			snprintf(arguments.hostname, sizeof arguments.hostname, "localhost");
		arguments.options.helo_name = arguments.hostname;
	}
	if (check_state_init(&check, target, &arguments.options, error, sizeof error) != 0) {
		fprintf(stderr, "tern check: %s\n", error);
		config_free(config);
		return 2;
	}
	if (config != NULL) {
		check_self_start(&check, config);
	} else if (arguments.ip != NULL) {
		if (check_ip_start(&check, arguments.ip) != 0) {
			fprintf(stderr, "tern check: \"%s\" is not an IPv4 or IPv6 address\n", arguments.ip);
			check_state_finish(&check);
			return 2;
		}
	} else {
		check_domain_start(&check, target);
	}
	check_state_run(&check);
	if (arguments.json)
		findings_print_json(&check.findings, stdout);
	else
		findings_print_text(&check.findings, stdout, isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL);
	status = findings_exit_status(&check.findings);
	check_state_finish(&check);
	config_free(config);
	return status;
}
