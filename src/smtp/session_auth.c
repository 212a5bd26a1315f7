/* session_auth: SMTP AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN, on the submission
 * ports and only under TLS. Passwords are checked with crypt(3) on the work pool; an unknown
 * user costs the same as a wrong password, and both get the same 535 5.7.8, after a delay
 * that grows with the client address's recent failures (auth_throttle). */
#include <event2/event.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/password.h"
#include "smtp/sasl.h"
#include "smtp/session_internal.h"
#include "util/address_key.h"
#include "util/log.h"
#include "util/xalloc.h"

/* RFC 4954 §4: the LOGIN mechanism's traditional prompts, base64 of "Username:", "Password:" */
#define LOGIN_USERNAME_PROMPT "VXNlcm5hbWU6"
#define LOGIN_PASSWORD_PROMPT "UGFzc3dvcmQ6"

struct session_auth {
	enum sasl_mechanism mechanism;
	bool have_user; /* LOGIN: the username step is done */
	char user[256];
};

struct auth_job {
	struct session *session;
	char *hash; /* the user's crypt hash; NULL for an unknown user */
	char password[1024];
	char mailbox[ADDRESS_FORMAT_SIZE];
	char user[256];
	bool verified;
};

void session_auth_free(struct session *session)
{
	free(session->auth);
	session->auth = NULL;
}

static void address_key(const struct session *session, unsigned char key[16])
{
	address_key_from((const struct sockaddr *)&session->peer, key);
}

static void verify_work(void *context)
{
	struct auth_job *job = context;

	if (job->hash != NULL) {
		job->verified = password_verify(job->hash, job->password);
	} else {
		password_verify_unknown_user(job->password); /* the same cost: timing tells nothing */
		job->verified = false;
	}
	OPENSSL_cleanse(job->password, sizeof job->password);
}

static void back_to_commands(struct session *session)
{
	session_auth_free(session);
	session_set_state(session, session->helo[0] ? STATE_HELLO : STATE_READY);
}

static void answer_failure(evutil_socket_t fd, short events, void *context)
{
	struct session *session = context;

	back_to_commands(session);
	if (session_reply(session, REPLY_AUTH_FAILED, NULL, "AUTH"))
		session_resume(session);
}

static void verify_done(void *context)
{
	struct auth_job *job = context;
	struct session *session = job->session;
	unsigned char key[16];
	unsigned delay;
	char quoted[LOG_QUOTED_SIZE];

	session->job_in_flight = false;
	free(job->hash);
	if (session->closed_by_peer) {
		free(job);
		session_end(session);
		return;
	}
	address_key(session, key);
	log_quote(quoted, job->user, strlen(job->user));
	if (job->verified) {
		auth_throttle_success(session->services->auth_throttle, key);
		snprintf(session->user, sizeof session->user, "%s", job->mailbox);
		log_info("%s auth ok user=%s client=%s", session->id, session->user, session->client_address);
		free(job);
		back_to_commands(session);
		if (session_reply(session, REPLY_AUTH_OK, NULL, "AUTH"))
			session_resume(session);
		return;
	}
	free(job);
	auth_throttle_failure(session->services->auth_throttle, key, time(NULL));
	delay = auth_throttle_delay_ms(session->services->auth_throttle, key, time(NULL));
	log_info("%s auth failed user=%s client=%s delay=%ums", session->id, quoted, session->client_address, delay);
	if (delay == 0) {
		answer_failure(-1, 0, session);
		return;
	}
	struct timeval pause = {delay / 1000, (suseconds_t)(delay % 1000) * 1000};
	if (session->delay_timer == NULL)
		session->delay_timer = evtimer_new(session->services->base, answer_failure, session);
	evtimer_add(session->delay_timer, &pause);
}

/* Checks user's password on the work pool; the reply comes from verify_done. */
static void verify(struct session *session, const char *user, const char *password)
{
	struct auth_job *job = xcalloc(1, sizeof *job);
	const struct config_user *account = config_find_login(session->config, user, job->mailbox, sizeof job->mailbox);

	job->session = session;
	job->hash = account && account->hash[0] ? xstrdup(account->hash) : NULL;
	snprintf(job->user, sizeof job->user, "%s", user);
	snprintf(job->password, sizeof job->password, "%s", password);
	session_set_state(session, STATE_BUSY);
	session->job_in_flight = true;
	bufferevent_disable(session->connection, EV_READ);
	workpool_submit(session->services->workpool, verify_work, verify_done, job);
}

static enum reply_id sasl_error(enum sasl_result result)
{
	return result == SASL_CANCELLED ? REPLY_AUTH_CANCELLED : REPLY_AUTH_BAD_RESPONSE;
}

/* A PLAIN response (initial or after "334 "): decode and verify. */
static void plain_response(struct session *session, struct slice response, struct session_reply *reply)
{
	struct sasl_credentials credentials;
	enum sasl_result result = sasl_decode_plain(response, &credentials);

	if (result != SASL_OK) {
		back_to_commands(session);
		reply->id = sasl_error(result);
	} else {
		/* RFC 4616 §2: an authorization identity other than the user is not supported */
		if (credentials.authzid[0] && strcmp(credentials.authzid, credentials.user) != 0)
			credentials.password[0] = '\0'; /* fails like a wrong password */
		verify(session, credentials.user, credentials.password);
		reply->id = REPLY_NONE;
	}
	OPENSSL_cleanse(&credentials, sizeof credentials);
}

/* A LOGIN step: the username, then the password. */
static void login_response(struct session *session, struct slice response, struct session_reply *reply)
{
	char password[1024];
	enum sasl_result result;

	if (!session->auth->have_user) {
		result = sasl_decode_line(response, session->auth->user, sizeof session->auth->user);
		if (result == SASL_OK) {
			session->auth->have_user = true;
			reply->id = REPLY_AUTH_CHALLENGE;
			snprintf(reply->argument, sizeof reply->argument, "%s", LOGIN_PASSWORD_PROMPT);
			return;
		}
	} else if ((result = sasl_decode_line(response, password, sizeof password)) == SASL_OK) {
		verify(session, session->auth->user, password);
		OPENSSL_cleanse(password, sizeof password);
		reply->id = REPLY_NONE;
		return;
	}
	back_to_commands(session);
	reply->id = sasl_error(result);
}

static enum reply_id auth_refusal(const struct session *session)
{
	unsigned char key[16];

	if (session->role != LISTENER_SUBMISSION && session->role != LISTENER_SUBMISSIONS)
		return REPLY_AUTH_NOT_HERE;
	if (!session->tls) /* RFC 4954 §4: never a password over a plaintext channel */
		return REPLY_TLS_REQUIRED;
	if (session->user[0])
		return REPLY_AUTH_ALREADY; /* RFC 4954 §4: once per session */
	address_key(session, key);
	if (auth_throttle_locked(session->services->auth_throttle, key, time(NULL)))
		return REPLY_AUTH_LOCKED;
	return REPLY_NONE;
}

void session_auth_begin(struct session *session, const struct command *command, struct session_reply *reply)
{
	enum sasl_mechanism mechanism;
	bool has_initial;
	struct slice initial;

	reply->argument[0] = '\0';
	if ((reply->id = auth_refusal(session)) != REPLY_NONE)
		return;
	if (sasl_parse_auth(command->argument, &mechanism, &has_initial, &initial) != SASL_OK) {
		reply->id = REPLY_SYNTAX;
		return;
	}
	if (mechanism == SASL_UNKNOWN) {
		reply->id = REPLY_AUTH_UNKNOWN_MECHANISM;
		return;
	}
	session->auth = xcalloc(1, sizeof *session->auth);
	session->auth->mechanism = mechanism;
	session_set_state(session, STATE_AUTH);
	if (has_initial) { /* RFC 4954 §4: the initial response saves a round trip */
		session_auth_response(session, initial);
		reply->id = REPLY_NONE;
		return;
	}
	reply->id = REPLY_AUTH_CHALLENGE;
	snprintf(reply->argument, sizeof reply->argument, "%s", mechanism == SASL_LOGIN ? LOGIN_USERNAME_PROMPT : "");
}

void session_auth_response(struct session *session, struct slice line)
{
	struct session_reply reply = {REPLY_NONE, ""};

	if (session->auth->mechanism == SASL_PLAIN)
		plain_response(session, line, &reply);
	else
		login_response(session, line, &reply);
	session_reply(session, reply.id, reply.argument, "AUTH");
}
