/* log: one line per event, "<id> <event> key=value ...", to stderr or syslog.
 * The logger is one of the three globals tern allows (house rule 11). */
#ifndef TERN_LOG_H
#define TERN_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Chooses the destination: stderr when foreground is true, else syslog(3) as ident. */
void log_open(const char *ident, bool foreground);
void log_set_level(enum log_level level);
/* Writes one line. Callers quote outside values with log_quote. */
void log_write(enum log_level level, const char *format, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_write(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Maximum bytes of an outside value that reach a log line (rule 10: quoted, truncated). */
#define LOG_VALUE_MAX 200
/* Size of a buffer that can hold any log_quote result. */
#define LOG_QUOTED_SIZE (LOG_VALUE_MAX * 4 + 8)

/* Writes value as a double-quoted string into out (LOG_QUOTED_SIZE bytes): control and
 * non-ASCII bytes escaped as \xHH, '"' and '\' escaped, truncated to LOG_VALUE_MAX bytes
 * with "..." appended. Returns out. */
char *log_quote(char out[LOG_QUOTED_SIZE], const char *value, size_t length);

#endif
