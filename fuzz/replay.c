/* replay: a main() for fuzz harnesses without libFuzzer, so `make check` runs every file of
 * a seed corpus through the harness under ASan and UBSan. Arguments: files or directories. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *file = fopen(path, "rb");
	uint8_t *data;
	long size;

	if (file == NULL || fseek(file, 0, SEEK_END) != 0 || (size = ftell(file)) < 0) {
		perror(path);
		return -1;
	}
	rewind(file);
	data = malloc((size_t)size + 1);
	if (data == NULL || fread(data, 1, (size_t)size, file) != (size_t)size) {
		perror(path);
		return -1;
	}
	fclose(file);
	LLVMFuzzerTestOneInput(data, (size_t)size);
	free(data);
	return 0;
}

static int replay_path(const char *path, int *count)
{
	struct stat info;
	DIR *directory;
	struct dirent *entry;

	if (stat(path, &info) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(info.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	if ((directory = opendir(path)) == NULL) {
		perror(path);
		return -1;
	}
	while ((entry = readdir(directory)) != NULL) {
		char child[4096];
		if (entry->d_name[0] == '.')
			continue;
		snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
		if (replay_path(child, count) != 0) {
			closedir(directory);
			return -1;
		}
	}
	closedir(directory);
	return 0;
}

int main(int argc, char **argv)
{
	int count = 0;

	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) != 0)
			return 1;
	if (count == 0) {
		fprintf(stderr, "replay: no corpus files given\n");
		return 1;
	}
	printf("%s: replayed %d inputs\n", argv[0], count);
	return 0;
}
