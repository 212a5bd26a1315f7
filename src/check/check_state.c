/* check_state: the shared state of one `tern check` run and its loop, which ends when every
 * lookup and probe has reported. */
#include "check/check_state.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/thread.h>

#include "net/tls_client.h"
#include "util/workpool.h"

int check_state_init(struct check_state *check, const char *target, const struct check_options *options, char *error,
                     size_t size)
{
	memset(check, 0, sizeof *check);
	check->options = options;
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread: it is not thread-safe */
	evthread_use_pthreads();               /* the worker pool completes jobs onto the loop from other threads */
	check->base = event_base_new();
	if (check->base == NULL) {
		snprintf(error, size, "cannot create an event loop");
		goto fail;
	}
	check->resolver = resolver_create(check->base, options->resolver, options->trust_anchor, error, size);
	if (check->resolver == NULL)
		goto fail;
	check->tls = tls_client_context_create(options->ca_file, error, size);
	if (check->tls == NULL)
		goto fail;
	findings_init(&check->findings, target);
	return 0;
fail:
	resolver_free(check->resolver);
	if (check->base != NULL)
		event_base_free(check->base);
	memset(check, 0, sizeof *check);
	return -1;
}

struct workpool *check_state_workers(struct check_state *check)
{
	if (check->workers == NULL)
		check->workers = workpool_create(check->base, 2);
	return check->workers;
}

void check_state_finish(struct check_state *check)
{
	workpool_destroy(check->workers);
	resolver_free(check->resolver);
	SSL_CTX_free(check->tls);
	event_base_free(check->base);
	findings_free(&check->findings);
	curl_global_cleanup();
}

void check_state_run(struct check_state *check)
{
	if (check->held > 0)
		event_base_dispatch(check->base);
}

void check_state_hold(struct check_state *check) { check->held++; }

void check_state_release(struct check_state *check)
{
	if (--check->held == 0)
		event_base_loopbreak(check->base);
}
