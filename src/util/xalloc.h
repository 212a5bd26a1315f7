/* xalloc: allocation wrappers that abort on failure (house rule 8).
 * Safe because everything a client controls is capped before it is allocated. */
#ifndef TERN_XALLOC_H
#define TERN_XALLOC_H

#include <stddef.h>

/* Each returns memory owned by the caller; on allocation failure the process aborts. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *pointer, size_t size);
char *xstrdup(const char *string);
char *xstrndup(const char *string, size_t length);
/* printf into a freshly allocated string. */
char *xasprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
