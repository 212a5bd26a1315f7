/* check_golden: compares what a module writes with a golden file under tests/unit/golden/
 * (run from the repository root), byte for byte, naming the first line that differs.
 * TERN_UPDATE_GOLDEN=1 in the environment rewrites the file first (then review the diff). */
#ifndef TERN_CHECK_GOLDEN_H
#define TERN_CHECK_GOLDEN_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "util/buffer.h"
#include "util/files.h"

#define CHECK_GOLDEN_DIRECTORY "tests/unit/golden"
#define CHECK_GOLDEN_MAX (16u * 1024 * 1024)

static inline void check_golden(const char *name, struct slice output)
{
	char path[512];
	struct buffer golden;
	size_t at = 0, line = 1;

	snprintf(path, sizeof path, "%s/%s", CHECK_GOLDEN_DIRECTORY, name);
	if (getenv("TERN_UPDATE_GOLDEN") != NULL) {
		FILE *file = fopen(path, "wb");
		CHECK(file != NULL && fwrite(output.data, 1, output.length, file) == output.length);
		if (file != NULL)
			CHECK(fclose(file) == 0);
	}
	buffer_init(&golden, CHECK_GOLDEN_MAX);
	if (files_read_all(AT_FDCWD, path, &golden) != 0) {
		fprintf(stderr, "%s: cannot read (run from the repository root)\n", path);
		check_failures_in_test++;
		buffer_free(&golden);
		return;
	}
	while (at < golden.length && at < output.length && golden.data[at] == output.data[at])
		line += golden.data[at++] == '\n';
	if (at != golden.length || at != output.length) {
		fprintf(stderr, "%s: differs at line %zu (octet %zu): got \"%.60s\"\n", path, line, at,
		        output.data + at);
		check_failures_in_test++;
	}
	buffer_free(&golden);
}

#endif
