/* xalloc: malloc and friends that abort instead of returning NULL.
 * Every size a client can influence is capped (with an SMTP reply) before it reaches
 * here, so running out of memory is a host problem, not an input problem. */
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *checked(void *pointer)
{
	if (pointer == NULL) {
		fputs("tern: out of memory\n", stderr);
		abort();
	}
	return pointer;
}

void *xmalloc(size_t size) { return checked(malloc(size ? size : 1)); }

void *xcalloc(size_t count, size_t size) { return checked(calloc(count ? count : 1, size ? size : 1)); }

void *xrealloc(void *pointer, size_t size) { return checked(realloc(pointer, size ? size : 1)); }

char *xstrdup(const char *string) { return checked(strdup(string)); }

char *xstrndup(const char *string, size_t length) { return checked(strndup(string, length)); }

char *xasprintf(const char *format, ...)
{
	va_list arguments;
	char *result = NULL;

	va_start(arguments, format);
	if (vasprintf(&result, format, arguments) < 0)
		result = NULL;
	va_end(arguments);
	return checked(result);
}
