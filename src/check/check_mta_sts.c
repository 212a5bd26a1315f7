/* check_mta_sts: _mta-sts TXT, then the policy host's addresses through our resolver, then
 * the HTTPS fetch with libcurl on a worker thread (a blocking easy transfer with its own
 * timeout; the loop goes on with the other checks), then the policy parsed on the loop.
 * TLS-RPT's record is asked at the same time. */
#include "check/check_mta_sts.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/rdata.h"
#include "util/buffer.h"
#include "util/workpool.h"
#include "util/xalloc.h"

#define SECTION        "MTA-STS"
#define SECTION_TLSRPT "TLS-RPT"
#define POLICY_PATH    "/.well-known/mta-sts.txt" /* RFC 8461 §3.2 */

struct sts_check {
	struct check_state *check;
	char domain[DNS_NAME_MAX + 1];
	char policy_host[DNS_NAME_MAX + 16];
	void (*on_policy)(void *context, const struct mta_sts_policy *policy);
	void *context;
	unsigned addresses_waiting;
	char address[INET6_ADDRSTRLEN + 2]; /* the first address found, IPv6 in brackets (CURLOPT_RESOLVE) */
	/* the fetch, filled in on the worker thread */
	long http_status;
	char content_type[128];
	char error[CURL_ERROR_SIZE];
	bool too_long;
	struct buffer body;
	struct mta_sts_policy policy;
};

static void finish(struct sts_check *sts, const struct mta_sts_policy *policy)
{
	struct check_state *check = sts->check;

	sts->on_policy(sts->context, policy);
	buffer_free(&sts->body);
	free(sts);
	check_state_release(check);
}

static size_t on_body(char *data, size_t size, size_t count, void *context)
{
	struct sts_check *sts = context;
	size_t length = size * count;

	if (sts->body.length + length > MTA_STS_POLICY_SIZE_MAX) {
		sts->too_long = true;
		return 0; /* aborts the transfer */
	}
	buffer_append(&sts->body, data, length);
	return length;
}

/* On a worker thread: touches only sts's fetch fields. */
static void fetch(void *context)
{
	struct sts_check *sts = context;
	CURL *curl = curl_easy_init();
	struct curl_slist *resolve = NULL;
	char url[DNS_NAME_MAX + 128], pin[2 * DNS_NAME_MAX];
	char *type = NULL;
	unsigned port = sts->check->options->https_port;

	if (curl == NULL) {
		snprintf(sts->error, sizeof sts->error, "libcurl could not start");
		return;
	}
	snprintf(url, sizeof url, "https://%s:%u%s", sts->policy_host, port, POLICY_PATH);
	snprintf(pin, sizeof pin, "%s:%u:%s", sts->policy_host, port, sts->address);
	resolve = curl_slist_append(NULL, pin); /* the address from our resolver: no system lookup */
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L); /* RFC 8461 §3.3: no redirects */
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)CHECK_FETCH_TIMEOUT);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, sts->error);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, sts);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "tern-check");
	if (sts->check->options->ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, sts->check->options->ca_file);
	if (curl_easy_perform(curl) == CURLE_OK) {
		sts->error[0] = '\0';
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &sts->http_status);
		if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != NULL)
			snprintf(sts->content_type, sizeof sts->content_type, "%s", type);
	} else if (sts->error[0] == '\0') {
		snprintf(sts->error, sizeof sts->error, "the fetch failed");
	}
	curl_slist_free_all(resolve);
	curl_easy_cleanup(curl);
}

static void report_policy(struct sts_check *sts, const struct mta_sts_policy *policy)
{
	struct findings *findings = &sts->check->findings;

	if (policy->mode == MTA_STS_MODE_ENFORCE)
		findings_add(findings, SECTION, "", FINDING_OK, NULL,
		             "mode enforce: senders deliver only over verified TLS");
	else if (policy->mode == MTA_STS_MODE_TESTING)
		findings_add(findings, SECTION, "", FINDING_WARN,
		             "switch to \"mode: enforce\" once TLS-RPT reports are clean",
		             "mode testing: senders report TLS failures but deliver anyway");
	else
		findings_add(findings, SECTION, "", FINDING_WARN, "use \"mode: testing\", then \"enforce\"",
		             "mode none: the policy protects nothing (it withdraws an earlier one)");
	if (policy->max_age < CHECK_MTA_STS_MAX_AGE_LOW)
		findings_add(findings, SECTION, "", FINDING_WARN, "use a max_age of weeks, e.g. 604800 or more",
		             "max_age %lu seconds: senders forget the policy too soon", policy->max_age);
	else
		findings_add(findings, SECTION, "", FINDING_OK, NULL, "max_age %lu seconds (%lu days)", policy->max_age,
		             policy->max_age / 86400);
}

/* On the loop, after the fetch. */
static void fetched(void *context)
{
	struct sts_check *sts = context;
	struct findings *findings = &sts->check->findings;
	enum mta_sts_result result;
	const char *fix = "serve the policy as text/plain with status 200 from https://mta-sts.DOMAIN" POLICY_PATH;

	if (sts->too_long) {
		findings_add(findings, SECTION, "", FINDING_FAIL, fix, "policy over %d bytes", MTA_STS_POLICY_SIZE_MAX);
	} else if (sts->error[0]) {
		findings_add(findings, SECTION, "", FINDING_FAIL, fix, "cannot fetch https://%s%s: %s",
		             sts->policy_host, POLICY_PATH, sts->error);
	} else if (sts->http_status != 200) {
		findings_add(findings, SECTION, "", FINDING_FAIL, fix,
		             "https://%s%s answered HTTP %ld (RFC 8461 §3.3 wants 200)", sts->policy_host, POLICY_PATH,
		             sts->http_status);
	} else if (strncasecmp(sts->content_type, "text/plain", 10) != 0) {
		findings_add(findings, SECTION, "", FINDING_FAIL, fix,
		             "policy served as \"%s\", not text/plain (RFC 8461 §3.2)", sts->content_type);
	} else if ((result = mta_sts_policy_parse(sts->body.data ? sts->body.data : "", sts->body.length,
	                                          &sts->policy)) != MTA_STS_OK) {
		findings_add(findings, SECTION, "", FINDING_FAIL, "fix the policy file (RFC 8461 §3.2)",
		             "invalid policy: %s", mta_sts_result_text(result));
	} else {
		findings_add(findings, SECTION, "", FINDING_OK, NULL, "policy fetched from https://%s%s",
		             sts->policy_host, POLICY_PATH);
		report_policy(sts, &sts->policy);
		finish(sts, &sts->policy);
		return;
	}
	finish(sts, NULL);
}

static void start_fetch(struct sts_check *sts)
{
	if (sts->address[0] == '\0') {
		findings_add(&sts->check->findings, SECTION, "", FINDING_FAIL,
		             "publish an A/AAAA record for mta-sts.DOMAIN pointing at the web server with the policy",
		             "%s has no address: the policy cannot be fetched", sts->policy_host);
		finish(sts, NULL);
		return;
	}
	buffer_init(&sts->body, MTA_STS_POLICY_SIZE_MAX + 1);
	workpool_submit(check_state_workers(sts->check), fetch, fetched, sts);
}

static void on_address(void *context, const struct dns_answer *answer)
{
	struct sts_check *sts = context;
	char text[INET6_ADDRSTRLEN];

	for (size_t i = 0; answer->status == DNS_OK && i < answer->count && sts->address[0] == '\0'; i++) {
		const struct dns_record *record = &answer->records[i];
		if (record->type == DNS_A && inet_ntop(AF_INET, record->address, text, sizeof text))
			snprintf(sts->address, sizeof sts->address, "%s", text);
		else if (record->type == DNS_AAAA && inet_ntop(AF_INET6, record->address, text, sizeof text))
			snprintf(sts->address, sizeof sts->address, "[%s]", text);
	}
	if (--sts->addresses_waiting == 0)
		start_fetch(sts);
}

static void on_record(void *context, const struct dns_answer *answer)
{
	struct sts_check *sts = context;
	struct findings *findings = &sts->check->findings;
	size_t found = 0, valid = 0;
	char id[MTA_STS_ID_MAX + 1] = "", candidate[MTA_STS_ID_MAX + 1];

	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		const struct dns_record *record = &answer->records[i];
		enum mta_sts_record_result result =
		    record->type == DNS_TXT ? mta_sts_record_parse(record->text, record->text_length, candidate)
		                            : MTA_STS_RECORD_OTHER;
		found += result != MTA_STS_RECORD_OTHER;
		if (result == MTA_STS_RECORD_OK && valid++ == 0)
			memcpy(id, candidate, sizeof id);
	}
	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS) {
		findings_add(findings, SECTION, "", FINDING_WARN, "fix the domain's DNS servers",
		             "_mta-sts.%s lookup failed: %s", sts->domain, answer->why);
	} else if (found == 0) {
		findings_add(findings, SECTION, "", FINDING_INFO,
		             "optional: publish an MTA-STS policy so senders insist on verified TLS (RFC 8461)",
		             "no MTA-STS record at _mta-sts.%s", sts->domain);
	} else if (found > 1) {
		findings_add(findings, SECTION, "", FINDING_FAIL, "keep exactly one \"v=STSv1; id=...\" TXT record",
		             "%zu MTA-STS records at _mta-sts.%s: senders ignore them all (RFC 8461 §3.1)", found,
		             sts->domain);
	} else if (valid == 0) {
		findings_add(findings, SECTION, "", FINDING_FAIL, "write it as \"v=STSv1; id=20240101T000000;\"",
		             "MTA-STS record at _mta-sts.%s has no valid id (RFC 8461 §3.1)", sts->domain);
	} else {
		findings_add(findings, SECTION, "", FINDING_OK, NULL, "record v=STSv1 with id %s", id);
		sts->addresses_waiting = 2;
		resolver_query(sts->check->resolver, sts->policy_host, DNS_A, on_address, sts);
		resolver_query(sts->check->resolver, sts->policy_host, DNS_AAAA, on_address, sts);
		return;
	}
	finish(sts, NULL);
}

static void on_tlsrpt(void *context, const struct dns_answer *answer)
{
	struct check_state *check = ((void **)context)[0];
	char *domain = ((char **)context)[1];
	size_t found = 0, valid = 0;

	for (size_t i = 0; answer->status == DNS_OK && i < answer->count; i++) {
		enum mta_sts_record_result result =
		    answer->records[i].type == DNS_TXT
		        ? mta_sts_tlsrpt_parse(answer->records[i].text, answer->records[i].text_length)
		        : MTA_STS_RECORD_OTHER;
		found += result != MTA_STS_RECORD_OTHER;
		valid += result == MTA_STS_RECORD_OK;
	}
	if (answer->status == DNS_TEMPFAIL || answer->status == DNS_BOGUS)
		findings_add(&check->findings, SECTION_TLSRPT, "", FINDING_WARN, "fix the domain's DNS servers",
		             "_smtp._tls.%s lookup failed: %s", domain, answer->why);
	else if (found == 0)
		findings_add(&check->findings, SECTION_TLSRPT, "", FINDING_INFO,
		             "optional: publish \"v=TLSRPTv1; rua=mailto:...\" at _smtp._tls to hear of TLS failures",
		             "no TLS-RPT record at _smtp._tls.%s", domain);
	else if (found > 1 || valid == 0)
		findings_add(&check->findings, SECTION_TLSRPT, "", FINDING_FAIL,
		             "publish exactly one \"v=TLSRPTv1; rua=mailto:...\" record (RFC 8460 §3)",
		             "%s TLS-RPT record at _smtp._tls.%s", found > 1 ? "more than one" : "an invalid", domain);
	else
		findings_add(&check->findings, SECTION_TLSRPT, "", FINDING_OK, NULL, "TLS-RPT record at _smtp._tls.%s",
		             domain);
	free(domain);
	free(context);
	check_state_release(check);
}

void check_mta_sts_start(struct check_state *check, const char *domain,
                         void (*on_policy)(void *context, const struct mta_sts_policy *policy), void *context)
{
	struct sts_check *sts = xcalloc(1, sizeof *sts);
	void **tlsrpt = xcalloc(2, sizeof *tlsrpt);
	char name[DNS_NAME_MAX + 16];

	sts->check = check;
	rdata_name_normalize(domain, sts->domain);
	snprintf(sts->policy_host, sizeof sts->policy_host, "mta-sts.%s", sts->domain); /* RFC 8461 §3.3 */
	sts->on_policy = on_policy;
	sts->context = context;
	findings_section(&check->findings, SECTION);
	findings_section(&check->findings, SECTION_TLSRPT);
	check_state_hold(check);
	snprintf(name, sizeof name, "_mta-sts.%s", sts->domain); /* RFC 8461 §3.1 */
	resolver_query(check->resolver, name, DNS_TXT, on_record, sts);
	tlsrpt[0] = check;
	tlsrpt[1] = xstrdup(sts->domain);
	check_state_hold(check);
	snprintf(name, sizeof name, "_smtp._tls.%s", sts->domain); /* RFC 8460 §3 */
	resolver_query(check->resolver, name, DNS_TXT, on_tlsrpt, tlsrpt);
}
