/* log: the logger. Lines go to stderr (foreground, with a timestamp) or to syslog.
 * It does not decide what to log; callers log one line per event. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static bool log_to_stderr = true;
static enum log_level log_threshold = LOG_LEVEL_INFO;

void log_open(const char *ident, bool foreground)
{
	log_to_stderr = foreground;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_set_level(enum log_level level) { log_threshold = level; }

void log_write(enum log_level level, const char *format, ...)
{
	static const int priorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	char line[4096];
	va_list arguments;

	if (level > log_threshold)
		return;
	va_start(arguments, format);
	vsnprintf(line, sizeof line, format, arguments);
	va_end(arguments);
	if (log_to_stderr) {
		struct timespec now;
		struct tm local;
		char stamp[32];

		clock_gettime(CLOCK_REALTIME, &now);
		localtime_r(&now.tv_sec, &local);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &local);
		fprintf(stderr, "%s.%03ld %s\n", stamp, now.tv_nsec / 1000000, line);
	} else {
		syslog(priorities[level], "%s", line);
	}
}

char *log_quote(char out[LOG_QUOTED_SIZE], const char *value, size_t length)
{
	static const char hex[] = "0123456789abcdef";
	size_t used = 0;
	size_t shown = length > LOG_VALUE_MAX ? LOG_VALUE_MAX : length;

	out[used++] = '"';
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c == '"' || c == '\\') {
			out[used++] = '\\';
			out[used++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			out[used++] = '\\';
			out[used++] = 'x';
			out[used++] = hex[c >> 4];
			out[used++] = hex[c & 15];
		} else {
			out[used++] = (char)c;
		}
	}
	if (shown < length) {
		memcpy(out + used, "...", 3);
		used += 3;
	}
	out[used++] = '"';
	out[used] = '\0';
	return out;
}
