/* temporary_directory: a fresh mkdtemp directory per test under /tmp, its removal with
 * everything in it, and the two things tests do inside it behind the code's back: writing a
 * file and counting entries. For the unit tests that touch the file system (files, spool,
 * maildir); static functions, so each test binary includes its own copy. Failing to set up
 * ends the test binary (exit status 2): nothing can be checked without it. */
#ifndef TERN_TEMPORARY_DIRECTORY_H
#define TERN_TEMPORARY_DIRECTORY_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/xalloc.h"

/* A new, empty directory /tmp/tern-test-<purpose>-XXXXXX (mode 0700); the caller owns the
 * returned path and gives it to temporary_directory_remove. */
static inline char *temporary_directory_create(const char *purpose)
{
	char *template = xasprintf("/tmp/tern-test-%s-XXXXXX", purpose);

	if (mkdtemp(template) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	return template;
}

static inline int temporary_directory_remove_entry(const char *path, const struct stat *status, int type, struct FTW *walk)
{
	return remove(path);
}

/* Removes directory and everything in it (making it writable first), and frees the path. */
static inline void temporary_directory_remove(char *directory)
{
	chmod(directory, 0700);
	nftw(directory, temporary_directory_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(directory);
}

/* Writes length bytes of content to directory/name, replacing it, with plain stdio. */
static inline void temporary_directory_write(const char *directory, const char *name, const char *content, size_t length)
{
	char *path = xasprintf("%s/%s", directory, name);
	FILE *file = fopen(path, "w");

	if (file == NULL || fwrite(content, 1, length, file) != length || fclose(file) != 0) {
		perror(path);
		exit(2);
	}
	free(path);
}

/* Entries in directory other than "." and "..", or -1 when it cannot be opened. */
static inline int temporary_directory_count_entries(const char *directory)
{
	DIR *handle = opendir(directory);
	struct dirent *entry;
	int count = 0;

	if (handle == NULL)
		return -1;
	while ((entry = readdir(handle)) != NULL)
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			count++;
	closedir(handle);
	return count;
}

#endif
