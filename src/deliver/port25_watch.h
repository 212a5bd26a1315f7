/* port25_watch: notices when this host cannot reach port 25 anywhere, as on most residential
 * and many cloud networks: connections to the MX hosts of several unrelated domains all fail
 * while DNS answers. Then mail goes through the fallback relay (`relay URL ... fallback`)
 * until a direct probe gets through again. Event-loop thread only. */
#ifndef TERN_PORT25_WATCH_H
#define TERN_PORT25_WATCH_H

#include <stdbool.h>
#include <time.h>

#define PORT25_BLOCKED_DOMAINS 3 /* unrelated domains that failed to connect, with no success */
#define PORT25_WINDOW 900        /* seconds within which those failures must fall */
#define PORT25_PROBE_INTERVAL 600 /* while blocked, one delivery tries port 25 this often */

struct port25_watch;

struct port25_watch *port25_watch_create(void);
void port25_watch_free(struct port25_watch *watch);

/* A direct delivery to domain reached no MX host at all (every address refused or timed out). */
void port25_watch_unreachable(struct port25_watch *watch, const char *domain, time_t now);
/* A direct connection to some port 25 was answered: port 25 works. */
void port25_watch_reachable(struct port25_watch *watch, time_t now);
/* Whether a direct delivery should go through the fallback relay now (false when it is time
 * to probe port 25 again: that delivery goes direct). */
bool port25_watch_blocked(struct port25_watch *watch, time_t now);

#endif
