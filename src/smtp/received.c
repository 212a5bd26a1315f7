/* received: the Received: header, RFC 5321 §4.4:
 *   Received: from HELO ([ADDRESS]) by HOSTNAME (tern) with PROTOCOL id QUEUEID
 *           for <RCPT>; DATE
 * "for" names the recipient only when there is one, so a Bcc list does not leak. */
#include "smtp/received.h"

#include <stdio.h>
#include <string.h>

const char *received_protocol(bool ehlo, bool tls, bool authenticated, bool smtputf8)
{
	static const char *const names[2][2][2] = {
		/* RFC 3848 §1: ESMTP + S (TLS) + A (AUTH) */
		{{"ESMTP", "ESMTPA"}, {"ESMTPS", "ESMTPSA"}},
		/* RFC 6531 §3.7.3: UTF8SMTP + S + A */
		{{"UTF8SMTP", "UTF8SMTPA"}, {"UTF8SMTPS", "UTF8SMTPSA"}},
	};
	if (!ehlo)
		return "SMTP";
	return names[smtputf8][tls][authenticated];
}

bool received_append(struct buffer *out, const struct received_info *info)
{
	char date[64];
	struct tm local;
	bool ok;

	localtime_r(&info->when, &local);
	/* RFC 5322 §3.3 date-time; tern never calls setlocale, so names are English. */
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &local);
	/* A TCP client is named by its address literal; a local-socket one by its uid. */
	ok = buffer_printf(out, strchr(info->client_address, ' ') ? "Received: from %s (%s)" : "Received: from %s ([%s])",
	                   info->helo, info->client_address) &&
	     buffer_printf(out, "\r\n\tby %s (tern) with %s id %s", info->hostname, info->protocol, info->queue_id);
	if (ok && info->tls)
		ok = buffer_printf(out, "\r\n\t(using %s)", info->tls);
	if (ok && info->recipient)
		ok = buffer_printf(out, "\r\n\tfor <%s>", info->recipient);
	return ok && buffer_printf(out, ";\r\n\t%s\r\n", date);
}
