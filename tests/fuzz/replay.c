/* A main for the fuzz targets without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on every file named on the command line and
 * on every file of every directory named (in name order), then prints how
 * many it ran.  make check links it with each target and replays the
 * corpus with it (replay-t.sh), under ASan when configured with
 * --enable-sanitizers. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz.h"
#include "util/whole_file.h"
#include "util/xalloc.h"

static size_t replayed;

static int replay_file(const char *path)
{
	unsigned char *data;
	size_t size;

	data = read_whole_file(path, (size_t)1 << 26, "too large", false, &size);
	if (data == NULL) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		return -1;
	}
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	replayed++;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *entry)
{
	return entry->d_name[0] != '.';
}

static int replay_dir(const char *dir)
{
	struct dirent **names;
	int count = scandir(dir, &names, not_hidden, by_name), failed = 0;

	if (count < 0) {
		perror(dir);
		return -1;
	}
	for (int i = 0; i < count; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]->d_name);
		if (replay_file(path) != 0)
			failed = -1;
		free(path);
		free(names[i]);
	}
	free(names);
	return failed;
}

int main(int argc, char **argv)
{
	struct stat st;
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			failed |= replay_dir(argv[i]);
		else
			failed |= replay_file(argv[i]);
	}
	printf("%zu\n", replayed);
	return failed != 0;
}
