/* check_self_tls: local files only; nothing waits. */
#include "check/check_self_tls.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>

#include "check/check_smtp.h"
#include "util/xalloc.h"

#define SECTION "TLS"

static X509 *load(const char *path)
{
	FILE *file = fopen(path, "r");
	X509 *certificate;

	if (file == NULL)
		return NULL;
	certificate = PEM_read_X509(file, NULL, NULL, NULL);
	fclose(file);
	return certificate;
}

void check_self_tls_load(struct check_self *self)
{
	struct findings *findings = &self->check->findings;
	const struct config *config = self->config;
	int days, seconds;

	findings_section(findings, SECTION);
	if (config->certificate_count == 0) {
		findings_add(findings, SECTION, "", FINDING_WARN,
		             "get a certificate for the MX name and add \"tls cert PATH key PATH\"",
		             "no certificate configured: ternd offers no STARTTLS, mail reaches it in plain text");
		return;
	}
	self->certificates = xcalloc(config->certificate_count, sizeof *self->certificates);
	self->certificate_count = config->certificate_count;
	for (size_t i = 0; i < config->certificate_count; i++) {
		const char *path = config->certificates[i].certificate;
		X509 *certificate = self->certificates[i] = load(path);
		if (certificate == NULL) {
			findings_add(findings, SECTION, path, FINDING_FAIL,
			             "point \"tls cert\" at a PEM certificate chain",
			             "cannot read a PEM certificate from %s", path);
			continue;
		}
		if (!ASN1_TIME_diff(&days, &seconds, NULL, X509_get0_notAfter(certificate)))
			days = -1;
		if (days < 0 || seconds < 0)
			findings_add(findings, SECTION, path, FINDING_FAIL, "renew the certificate",
			             "certificate expired: senders that verify will not deliver");
		else if (days < CHECK_EXPIRY_WARN_DAYS)
			findings_add(findings, SECTION, path, FINDING_WARN, "renew the certificate now",
			             "certificate expires in %d day%s", days, days == 1 ? "" : "s");
		else
			findings_add(findings, SECTION, path, FINDING_OK, NULL, "certificate valid for %d more days",
			             days);
	}
}

void check_self_tls_cover(struct check_self *self, const char *name)
{
	struct findings *findings = &self->check->findings;

	if (self->config->certificate_count == 0)
		return;
	for (size_t i = 0; i < self->certificate_count; i++) {
		if (self->certificates[i] != NULL && X509_check_host(self->certificates[i], name, 0, 0, NULL) == 1) {
			findings_add(findings, SECTION, name, FINDING_OK, NULL, "covered by the certificate %s",
			             self->config->certificates[i].certificate);
			return;
		}
	}
	findings_add(findings, SECTION, name, FINDING_FAIL,
	             "get a certificate naming this host in its subjectAltName and add it with \"tls cert\"",
	             "no configured certificate covers the MX name %s: senders that verify (MTA-STS, DANE) will not "
	             "deliver",
	             name);
}
