/* ternd: the mail server daemon. Parses the command line, loads the config, opens the spool,
 * binds the listeners, delivers what the spool already holds, then serves until SIGTERM
 * (graceful: sessions finish their transaction) with SIGHUP reloading the config.
 *   ternd -c FILE [-d] [-n] [-v]   -d foreground, log to stderr; -n check config; -v debug */
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config_current.h"
#include "deliver/identity_check.h"
#include "dns/resolver.h"
#include "mailauth/org_domain.h"
#include "net/control.h"
#include "net/server.h"
#include "net/tls_client.h"
#include "queue/scheduler.h"
#include "queue/spool.h"
#include "util/log.h"
#include "util/privilege.h"
#include "util/workpool.h"

#define DNSSEC_ROOT_KEY "/usr/share/dns/root.key" /* Debian's dns-root-data */
#define WORKER_THREADS 16     /* mostly blocked in fsync: many let the journal batch commits */
#define SHUTDOWN_GRACE_SECONDS 30

struct daemon_state {
	const char *config_path;
	struct event_base *base;
	struct spool *spool;
	struct workpool *pool;
	struct scheduler *scheduler;
	struct delivery_services delivery;
	struct server *server;
	struct control *control;
	struct identity_check *identity_check;
	struct session_services services;
	struct event *shutdown_poll;
	bool stopping;
	time_t stop_deadline;
};

static void usage(void)
{
	fputs("usage: ternd -c FILE [-d] [-n] [-v]\n"
	      "  -c FILE  configuration file\n"
	      "  -d       stay in the foreground and log to stderr\n"
	      "  -n       check the configuration and exit\n"
	      "  -v       log debug detail\n",
	      stderr);
	exit(2);
}

static struct config *load_config(const char *path)
{
	struct buffer errors;
	struct config *config;

	buffer_init(&errors, 1024 * 1024);
	config = config_load(path, &errors);
	if (config == NULL)
		fputs(errors.length ? errors.data : "unknown configuration error\n", stderr);
	buffer_free(&errors);
	return config;
}

static void poll_shutdown(evutil_socket_t fd, short events, void *context)
{
	struct daemon_state *state = context;
	bool idle;

	connection_cache_close_idle(state->delivery.connections); /* also those offered since */
	idle = server_session_count(state->server) == 0 && workpool_pending(state->pool) == 0 &&
	       scheduler_busy(state->scheduler) == 0 && !connection_cache_closing(state->delivery.connections);
	if (idle || time(NULL) >= state->stop_deadline) {
		if (!idle)
			log_warning("shutdown grace period over with %u sessions open", server_session_count(state->server));
		event_base_loopbreak(state->base);
	}
}

static void begin_shutdown(struct daemon_state *state)
{
	struct timeval tick = {0, 50 * 1000};

	if (state->stopping) { /* a second signal: stop now */
		event_base_loopbreak(state->base);
		return;
	}
	state->stopping = true;
	state->stop_deadline = time(NULL) + SHUTDOWN_GRACE_SECONDS;
	log_info("shutting down: %u sessions open", server_session_count(state->server));
	server_stop_listening(state->server);
	scheduler_stop(state->scheduler);
	server_shutdown_sessions(state->server);
	connection_cache_close_idle(state->delivery.connections); /* with QUIT, as servers expect */
	state->shutdown_poll = event_new(state->base, -1, EV_PERSIST, poll_shutdown, state);
	event_add(state->shutdown_poll, &tick);
}

/* Loads the certificates of config; false (logged) on failure. *tls is NULL without any. */
static bool load_certificates(const struct config *config, struct tls_server **tls)
{
	struct buffer errors;
	bool ok;

	buffer_init(&errors, 64 * 1024);
	*tls = tls_server_create(config, &errors);
	ok = *tls != NULL || config->certificate_count == 0;
	if (!ok)
		log_error("tls: %s", errors.length ? errors.data : "cannot load certificates");
	buffer_free(&errors);
	return ok;
}

static void reload(struct daemon_state *state)
{
	struct config *fresh = load_config(state->config_path);
	const struct config *running = config_current();
	struct tls_server *tls;

	if (fresh == NULL || !load_certificates(fresh, &tls)) {
		log_error("reload failed; keeping the running configuration");
		config_free(fresh);
		return;
	}
	/* Sessions already under TLS keep their connection's context (OpenSSL counts references);
	 * new handshakes get the renewed certificates. */
	tls_server_free(state->services.tls);
	state->services.tls = tls;
	if (strcmp(fresh->spool_directory, running->spool_directory) != 0 ||
	    fresh->listener_count != running->listener_count)
		log_warning("reload: listener and spool changes take effect at the next restart");
	config_current_set(fresh);
	destination_limits_configure(state->delivery.limits, fresh->max_outbound_connections_per_domain,
	                             fresh->max_outbound_connections);
	scheduler_set_remote_slots(state->scheduler, fresh->max_outbound_connections);
	log_info("reloaded %s", state->config_path);
}

static void on_signal(evutil_socket_t signal_number, short events, void *context)
{
	if (signal_number == SIGHUP)
		reload(context);
	else
		begin_shutdown(context);
}

/* Once bound: run as the configured user, or say loudly that we stay root. */
static int drop_privileges(const struct config *config)
{
	const char *keep_owned[] = {config->spool_directory, NULL};

	if (config->user == NULL) {
		if (geteuid() == 0)
			log_warning("running as root: add `user NAME` to the config to run unprivileged");
		return 0;
	}
	if (privilege_drop(config->user, keep_owned) != 0) {
		log_error("cannot run as user %s: %s", config->user, strerror(errno));
		return -1;
	}
	log_info("running as user %s", config->user);
	return 0;
}

/* The resolver and TLS client context that outbound delivery uses. */
static int start_outbound(struct daemon_state *state, const struct config *config)
{
	char error[256];

	state->delivery = (struct delivery_services){.base = state->base,
	                                             .pool = state->pool,
	                                             .spool = state->spool,
	                                             .remote_port = 25,
	                                             .port25 = port25_watch_create(),
	                                             .limits = destination_limits_create(
	                                                 config->max_outbound_connections_per_domain,
	                                                 config->max_outbound_connections)};
	state->delivery.connections = connection_cache_create(state->base, state->delivery.limits);
	state->delivery.resolver = resolver_create(state->base, config->resolver,
	                                           config->dnssec ? DNSSEC_ROOT_KEY : NULL, error, sizeof error);
	if (state->delivery.resolver == NULL) {
		log_error("resolver: %s", error);
		return -1;
	}
	state->identity_check =
	    identity_check_start(state->delivery.resolver, config->hostname,
	                         config->source_length ? (const struct sockaddr *)&config->source_address : NULL);
	state->delivery.tls_client = tls_client_context_create(NULL, error, sizeof error);
	if (state->delivery.tls_client == NULL)
		log_warning("outbound TLS unavailable: %s", error); /* deliveries go out in clear */
	return 0;
}

static int serve(struct daemon_state *state)
{
	const struct config *config = config_current();
	struct event *signals[3];
	const int numbers[3] = {SIGTERM, SIGINT, SIGHUP};
	int found;
	char error[256];

	state->spool = spool_open(config->spool_directory);
	if (state->spool == NULL) {
		log_error("cannot open spool %s: %s", config->spool_directory, strerror(errno));
		return 1;
	}
	state->pool = workpool_create(state->base, WORKER_THREADS);
	if (start_outbound(state, config) != 0)
		return 1;
	state->scheduler = scheduler_create(&state->delivery);
	scheduler_set_remote_slots(state->scheduler, config->max_outbound_connections);
	state->services = (struct session_services){.base = state->base,
	                                            .spool = state->spool,
	                                            .workpool = state->pool,
	                                            .commits = commit_queue_create(state->spool, state->pool),
	                                            .scheduler = state->scheduler,
	                                            .auth_throttle = auth_throttle_create(),
	                                            .resolver = state->delivery.resolver};
	state->services.org_domains = org_domain_load(NULL, error, sizeof error);
	if (state->services.org_domains == NULL) { /* DMARC needs it */
		log_error("public suffix list: %s", error);
		return 1;
	}
	if (!load_certificates(config, &state->services.tls))
		return 1;
	state->server = server_create(&state->services, config);
	if (state->server == NULL)
		return 1;
	if (drop_privileges(config) != 0)
		return 1;
	if (config->control_socket &&
	    (state->control = control_create(state->base, config->control_socket, state->scheduler, state->spool,
	                                     state->pool)) == NULL)
		return 1;
	found = scheduler_load(state->scheduler);
	log_info("started hostname=%s spool=%s queued=%d", config->hostname, config->spool_directory, found);
	for (int i = 0; i < 3; i++) {
		signals[i] = evsignal_new(state->base, numbers[i], on_signal, state);
		event_add(signals[i], NULL);
	}
	event_base_dispatch(state->base);
	for (int i = 0; i < 3; i++)
		event_free(signals[i]);
	log_info("stopped");
	return 0;
}

static void cleanup(struct daemon_state *state)
{
	bool busy = (state->server && server_session_count(state->server) > 0) ||
	            (state->scheduler && scheduler_busy(state->scheduler) > 0);

	if (busy) { /* grace period over: exit now; the spool keeps what was not delivered */
		log_warning("exiting with work in flight; it is retried at the next start");
		_exit(0);
	}
	workpool_destroy(state->pool);
	commit_queue_free(state->services.commits);
	control_free(state->control);
	scheduler_free(state->scheduler);
	server_free(state->server);
	spool_close(state->spool);
	tls_server_free(state->services.tls);
	auth_throttle_free(state->services.auth_throttle);
	org_domain_free((struct org_domain *)state->services.org_domains);
	resolver_free(state->delivery.resolver);
	identity_check_free(state->identity_check); /* after the resolver: no callback can come */
	SSL_CTX_free(state->delivery.tls_client);
	port25_watch_free(state->delivery.port25);
	connection_cache_free(state->delivery.connections); /* before the limits its closings would release */
	destination_limits_free(state->delivery.limits);
	if (state->shutdown_poll)
		event_free(state->shutdown_poll);
	config_current_set(NULL);
	event_base_free(state->base);
}

int main(int argc, char **argv)
{
	struct daemon_state state = {0};
	bool foreground = false, check_only = false, verbose = false;
	struct config *config;
	int option, status;

	while ((option = getopt(argc, argv, "c:dnv")) != -1) {
		switch (option) {
		case 'c': state.config_path = optarg; break;
		case 'd': foreground = true; break;
		case 'n': check_only = true; break;
		case 'v': verbose = true; break;
		default: usage();
		}
	}
	if (state.config_path == NULL || optind != argc)
		usage();
	if ((config = load_config(state.config_path)) == NULL)
		return 1;
	if (check_only) {
		printf("%s: ok\n", state.config_path);
		config_free(config);
		return 0;
	}
	if (!foreground && daemon(0, 0) != 0) {
		perror("ternd: daemon");
		return 1;
	}
	log_open("ternd", foreground);
	log_set_level(verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	state.base = event_base_new();
	config_current_set(config);
	status = serve(&state);
	cleanup(&state);
	return status;
}
