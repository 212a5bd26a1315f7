/* check_smtp: the probe of one MX address and its findings, from what the SMTP client saw.
 * The client runs with opportunistic TLS, so a certificate that would not verify still lets
 * the probe go on (and say why); the certificate is inspected in the on_tls hook. */
#include "check/check_smtp.h"

#include <arpa/inet.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check_dane.h"
#include "smtp/client_session.h"
#include "util/xalloc.h"

#define SECTION_SMTP  "SMTP"
#define SECTION_TLS   "TLS"
#define SECTION_RELAY "Open relay"
#define SECTION_DANE  "DANE"

struct probe {
	struct check_state *check;
	char host[DNS_NAME_MAX + 1];
	char subject[DNS_NAME_MAX + INET6_ADDRSTRLEN + 4]; /* "mx.example.org [192.0.2.1]" */
	struct check_tlsa tlsa;
	struct client_request request;
	struct client_message message;
	struct client_recipient recipient;
	bool saw_certificate;
	long verify_error; /* X509_V_OK or why the certificate does not verify for host */
	int days_left;     /* until notAfter */
	char not_after[64];
	enum check_dane_result dane;
	char dane_why[256];
};

static void on_tls(void *context, SSL *ssl)
{
	struct probe *probe = context;
	X509 *certificate = SSL_get0_peer_certificate(ssl);
	int seconds = 0;
	BIO *text;

	if (certificate == NULL)
		return;
	probe->saw_certificate = true;
	probe->verify_error = SSL_get_verify_result(ssl);
	ASN1_TIME_diff(&probe->days_left, &seconds, NULL, X509_get0_notAfter(certificate));
	if (probe->days_left == 0 && seconds < 0)
		probe->days_left = -1;
	text = BIO_new(BIO_s_mem());
	if (text != NULL && ASN1_TIME_print(text, X509_get0_notAfter(certificate)) == 1) {
		int length = BIO_read(text, probe->not_after, (int)sizeof probe->not_after - 1);
		probe->not_after[length > 0 ? length : 0] = '\0';
	}
	BIO_free(text);
	if (probe->tlsa.count > 0)
		probe->dane = check_dane_match(probe->check->tls, ssl, probe->host, &probe->tlsa, probe->dane_why,
		                               sizeof probe->dane_why);
}

static void report_certificate(struct probe *probe, struct findings *findings)
{
	if (probe->verify_error == X509_V_OK)
		findings_add(findings, SECTION_TLS, probe->subject, FINDING_OK, NULL, "certificate verifies for %s",
		             probe->host);
	else
		findings_add(findings, SECTION_TLS, probe->subject, FINDING_FAIL,
		             "install a certificate from a public CA whose names include the MX name",
		             "certificate does not verify for %s: %s", probe->host,
		             X509_verify_cert_error_string(probe->verify_error));
	if (probe->days_left < 0)
		findings_add(findings, SECTION_TLS, probe->subject, FINDING_FAIL, "renew the certificate now",
		             "certificate expired (%s)", probe->not_after);
	else if (probe->days_left < CHECK_EXPIRY_WARN_DAYS)
		findings_add(findings, SECTION_TLS, probe->subject, FINDING_WARN,
		             "renew the certificate (and check that automatic renewal works)",
		             "certificate expires in %d day%s (%s)", probe->days_left, probe->days_left == 1 ? "" : "s",
		             probe->not_after);
	else
		findings_add(findings, SECTION_TLS, probe->subject, FINDING_OK, NULL,
		             "certificate valid for %d more days", probe->days_left);
	if (probe->tlsa.count == 0)
		return;
	if (probe->dane == CHECK_DANE_MATCH)
		findings_add(findings, SECTION_DANE, probe->subject, FINDING_OK, NULL, "%s", probe->dane_why);
	else
		findings_add(findings, SECTION_DANE, probe->subject, FINDING_FAIL,
		             probe->dane == CHECK_DANE_UNUSABLE
		                 ? "publish DANE-EE (3 1 1) or DANE-TA (2 1 1) records for the certificate in use"
		                 : "update the TLSA records before (or together with) each certificate change",
		             "%s: DANE senders will not deliver", probe->dane_why);
}

static void report_relay(struct probe *probe, const struct client_result *result, struct findings *findings)
{
	const struct client_reply *reply = &probe->recipient.reply;

	if (result->mail_refused) {
		findings_add(findings, SECTION_RELAY, probe->subject, FINDING_WARN,
		             "accept MAIL FROM:<> (RFC 5321 §4.5.5): delivery status notifications come from it",
		             "not tested: MAIL FROM:<> was refused (\"%s\"), so bounces to this domain are lost",
		             reply->text);
	} else if (strcmp(result->stage, "rcpt") != 0 && strcmp(result->stage, "quit") != 0) {
		findings_add(findings, SECTION_RELAY, probe->subject, FINDING_INFO, NULL,
		             "not tested: the session ended at %s", result->stage);
	} else if (reply->code / 100 == 2) {
		findings_add(
		    findings, SECTION_RELAY, probe->subject, FINDING_FAIL,
		    "accept mail only for your own domains; relay only for authenticated users or trusted networks",
		    "OPEN RELAY: RCPT TO:<%s> was accepted (\"%s\"); no DATA was sent", CHECK_RELAY_RECIPIENT,
		    reply->text);
	} else if (reply->code == 0) {
		findings_add(findings, SECTION_RELAY, probe->subject, FINDING_INFO, NULL,
		             "not tested: no reply to RCPT TO");
	} else {
		findings_add(findings, SECTION_RELAY, probe->subject, FINDING_OK, NULL,
		             "refuses to relay: RCPT TO:<%s> got \"%s\"", CHECK_RELAY_RECIPIENT, reply->text);
	}
}

/* What the probe's end says about each step, in the order they happen; the first failure
 * ends the list (what follows it was never tried). */
static void report(struct probe *probe, const struct client_result *result)
{
	struct findings *findings = &probe->check->findings;
	const char *stage = result->stage;
	bool failed = result->outcome != CLIENT_DONE;
	unsigned port = probe->check->options->port;

	if (result->outcome == CLIENT_CONNECT_FAILED) {
		findings_add(
		    findings, SECTION_SMTP, probe->subject, FINDING_FAIL,
		    "an MX host must accept port 25 from anywhere: open it (firewall, listener) or remove the MX",
		    "does not accept TCP on port %u: %s", port, result->reply.text);
		return;
	}
	findings_add(findings, SECTION_SMTP, probe->subject, FINDING_OK, NULL, "accepts TCP on port %u", port);
	if (failed && strcmp(stage, "greeting") == 0) {
		findings_add(findings, SECTION_SMTP, probe->subject, FINDING_FAIL,
		             "the server must greet with 220 (RFC 5321 §4.3.1); see its logs",
		             "greeting was not 220: %s", result->reply.text[0] ? result->reply.text : "(none)");
		return;
	}
	findings_add(findings, SECTION_SMTP, probe->subject, FINDING_OK, NULL, "greets with 220");
	if (failed && strcmp(stage, "ehlo") == 0) {
		findings_add(findings, SECTION_SMTP, probe->subject, FINDING_FAIL, "the server must accept EHLO",
		             "EHLO failed: %s", result->reply.text);
		return;
	}
	findings_add(findings, SECTION_SMTP, probe->subject, FINDING_OK, NULL, "answers EHLO");
	if (!result->starttls_offered)
		findings_add(findings, SECTION_TLS, probe->subject, FINDING_WARN,
		             "configure a certificate and offer STARTTLS (RFC 3207): most senders then encrypt",
		             "STARTTLS not offered: mail to this host travels in plaintext");
	else if (result->outcome == CLIENT_TLS_FAILED)
		findings_add(findings, SECTION_TLS, probe->subject, FINDING_FAIL,
		             "check the server's TLS configuration (certificate, key, protocols)",
		             "STARTTLS offered, but %s", result->reply.text);
	else if (result->tls[0])
		findings_add(findings, SECTION_TLS, probe->subject, FINDING_OK, NULL, "STARTTLS: %s", result->tls);
	else
		findings_add(findings, SECTION_TLS, probe->subject, FINDING_FAIL,
		             "check the server's TLS configuration", "STARTTLS offered but refused when asked");
	if (probe->saw_certificate)
		report_certificate(probe, findings);
	report_relay(probe, result, findings);
}

static void on_done(void *context, const struct client_result *result)
{
	struct probe *probe = context;
	struct check_state *check = probe->check;

	report(probe, result);
	check_tlsa_clear(&probe->tlsa);
	free(probe);
	check_state_release(check);
}

void check_smtp_probe(struct check_state *check, const char *host, const struct sockaddr_storage *address,
                      socklen_t length, const struct check_tlsa *tlsa)
{
	struct probe *probe = xcalloc(1, sizeof *probe);
	char text[INET6_ADDRSTRLEN] = "?";

	probe->check = check;
	snprintf(probe->host, sizeof probe->host, "%s", host);
	if (address->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)address)->sin6_addr, text, sizeof text);
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)address)->sin_addr, text, sizeof text);
	snprintf(probe->subject, sizeof probe->subject, "%s [%s]", host, text);
	if (tlsa != NULL)
		check_tlsa_copy(&probe->tlsa, tlsa);
	probe->recipient.address = CHECK_RELAY_RECIPIENT;
	probe->message.sender = ""; /* RFC 5321 §4.5.5: an MX must take the null reverse-path */
	probe->message.recipients = &probe->recipient;
	probe->message.recipient_count = 1;
	probe->request.address = *address;
	probe->request.address_length = length;
	probe->request.host_name = probe->host;
	probe->request.helo_name = check->options->helo_name;
	probe->request.tls = CLIENT_TLS_OPPORTUNISTIC;
	probe->request.tls_context = check->tls;
	probe->request.connect_timeout = CHECK_CONNECT_TIMEOUT;
	probe->request.command_timeout = CHECK_COMMAND_TIMEOUT;
	probe->request.message = &probe->message;
	probe->request.rcpt_only = true;
	probe->request.on_tls = on_tls;
	check_state_hold(check);
	client_session_start(check->base, &probe->request, on_done, probe);
}
