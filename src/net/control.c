/* control: a unix-socket listener and a tiny line protocol over which `tern queue` asks the
 * running daemon to flush, hold, release or delete queued messages. Envelope rewrites run
 * on the work pool (they fsync); scheduler changes happen on the loop. */
#include "net/control.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "util/xalloc.h"

#define CONTROL_LINE_MAX 256

struct control {
	struct evconnlistener *listener;
	struct scheduler *scheduler;
	struct spool *spool;
	struct workpool *pool;
	unsigned jobs; /* envelope rewrites in flight */
};

enum control_action { ACTION_HOLD, ACTION_RELEASE, ACTION_DELETE };

struct control_job {
	struct control *control;
	struct bufferevent *client;
	enum control_action action;
	char id[SPOOL_ID_SIZE];
	int result;
	int error;
};

static void reply(struct bufferevent *client, const char *line)
{
	evbuffer_add_printf(bufferevent_get_output(client), "%s\n", line);
}

static void on_client_drained(struct bufferevent *client, void *context)
{
	bufferevent_free(client);
}

static void finish_client(struct bufferevent *client, const char *line)
{
	reply(client, line);
	bufferevent_disable(client, EV_READ);
	bufferevent_setcb(client, NULL, on_client_drained, NULL, NULL);
}

static void rewrite_work(void *context)
{
	struct control_job *job = context;
	struct envelope envelope = {0};

	if (job->action == ACTION_DELETE) {
		job->result = spool_remove(job->control->spool, job->id);
	} else if ((job->result = spool_read_envelope(job->control->spool, job->id, &envelope)) == 0) {
		envelope.held = job->action == ACTION_HOLD;
		envelope.next_attempt = time(NULL);
		job->result = spool_update(job->control->spool, &envelope);
	}
	job->error = errno;
	envelope_free(&envelope);
}

static void rewrite_done(void *context)
{
	struct control_job *job = context;
	static const char *const verbs[] = {"held", "released", "deleted"};
	char line[CONTROL_LINE_MAX];

	job->control->jobs--;
	if (job->result != 0) {
		snprintf(line, sizeof line, "error %s: %s", job->id, strerror(job->error));
	} else {
		snprintf(line, sizeof line, "ok %s %s", job->id, verbs[job->action]);
		log_info("%s %s by the admin (tern queue)", job->id, verbs[job->action]);
		if (job->action == ACTION_RELEASE)
			scheduler_enqueue(job->control->scheduler, job->id, false);
	}
	finish_client(job->client, line);
	free(job);
}

static void start_rewrite(struct control *control, struct bufferevent *client, enum control_action action,
                          const char *id)
{
	struct control_job *job;

	if (action != ACTION_RELEASE && scheduler_running(control->scheduler, id)) {
		finish_client(client, "error a delivery of this message is running; try again in a moment");
		return;
	}
	if (action != ACTION_RELEASE)
		scheduler_forget(control->scheduler, id);
	job = xcalloc(1, sizeof *job);
	job->control = control;
	job->client = client;
	job->action = action;
	snprintf(job->id, sizeof job->id, "%s", id);
	control->jobs++;
	workpool_submit(control->pool, rewrite_work, rewrite_done, job);
}

static void run(struct control *control, struct bufferevent *client, char *line)
{
	char *verb = strtok(line, " "), *id = strtok(NULL, " ");
	char text[CONTROL_LINE_MAX];

	if (verb && strcmp(verb, "flush") == 0) {
		snprintf(text, sizeof text, "ok %u flushed", scheduler_flush(control->scheduler, id));
		finish_client(client, text);
	} else if (verb && id && strcmp(verb, "hold") == 0) {
		start_rewrite(control, client, ACTION_HOLD, id);
	} else if (verb && id && strcmp(verb, "release") == 0) {
		start_rewrite(control, client, ACTION_RELEASE, id);
	} else if (verb && id && strcmp(verb, "delete") == 0) {
		start_rewrite(control, client, ACTION_DELETE, id);
	} else {
		finish_client(client, "error unknown command (flush [ID], hold ID, release ID, delete ID)");
	}
}

static void on_readable(struct bufferevent *client, void *context)
{
	struct control *control = context;
	size_t length;
	char *line = evbuffer_readln(bufferevent_get_input(client), &length, EVBUFFER_EOL_LF);

	if (line == NULL) {
		if (evbuffer_get_length(bufferevent_get_input(client)) > CONTROL_LINE_MAX)
			finish_client(client, "error line too long");
		return;
	}
	bufferevent_disable(client, EV_READ);
	run(control, client, line);
	free(line);
}

static void on_event(struct bufferevent *client, short events, void *context)
{
	bufferevent_free(client);
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd, struct sockaddr *peer, int length,
                      void *context)
{
	struct bufferevent *client =
	    bufferevent_socket_new(evconnlistener_get_base(listener), fd, BEV_OPT_CLOSE_ON_FREE);
	struct timeval timeout = {10, 0};

	bufferevent_setcb(client, on_readable, NULL, on_event, context);
	bufferevent_set_timeouts(client, &timeout, &timeout);
	bufferevent_enable(client, EV_READ | EV_WRITE);
}

struct control *control_create(struct event_base *base, const char *path, struct scheduler *scheduler,
                               struct spool *spool, struct workpool *pool)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	struct control *control;
	evutil_socket_t fd;
	mode_t old_mask;

	if (strlen(path) >= sizeof address.sun_path) {
		log_error("control socket path too long: %s", path);
		return NULL;
	}
	strcpy(address.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unlink(path);
	old_mask = umask(077); /* 0600 from the start: no window where others could connect */
	if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
		umask(old_mask);
		log_error("cannot listen on control socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	umask(old_mask);
	control = xcalloc(1, sizeof *control);
	*control = (struct control){.scheduler = scheduler, .spool = spool, .pool = pool};
	control->listener = evconnlistener_new(base, on_accept, control, LEV_OPT_CLOSE_ON_FREE, 16, fd);
	log_info("control socket %s", path);
	return control;
}

void control_free(struct control *control)
{
	if (control == NULL)
		return;
	evconnlistener_free(control->listener);
	free(control);
}
