/* Shared command-line pieces; see cli.h. */
#include "config.h"

#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/diag.h"
#include "util/xalloc.h"

int exit_worst(int a, int b)
{
	/* Ordered by severity: usage errors stop before anything runs, so
	 * between the others the larger code is the worse. */
	return a > b ? a : b;
}

bool cli_parse_as_of(const char *text, date_t *out)
{
	if (!date_parse(text, out)) {
		diag_error(NULL, 0, "--as-of '%s' is not a date YYYY-MM-DD", text);
		return false;
	}
	return true;
}

bool cli_parse_jobs(const char *text, unsigned *out)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (*text == '\0' || *end != '\0' || value < 1 || value > 256) {
		diag_error(NULL, 0, "--jobs '%s' is not a number from 1 to 256",
		           text);
		return false;
	}
	*out = (unsigned)value;
	return true;
}

static void list_add(file_list *list, char *path)
{
	list->paths = xgrow(list->paths, &list->capacity, list->count + 1,
	                    sizeof *list->paths);
	list->paths[list->count++] = path;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_xml_suffix(const char *name)
{
	size_t length = strlen(name);
	return length > 4 && strcmp(name + length - 4, ".xml") == 0;
}

static bool expand_directory(file_list *list, const char *dir)
{
	DIR *handle = opendir(dir);
	struct dirent *entry;
	size_t first = list->count;

	if (handle == NULL)
		return diag_error(dir, 0, "cannot read directory: %s",
		                  strerror(errno)), false;
	while ((entry = readdir(handle)) != NULL) {
		if (entry->d_name[0] == '.' || !has_xml_suffix(entry->d_name))
			continue;
		list_add(list, xstrdup(entry->d_name));
	}
	closedir(handle);
	/* strcmp compares bytes: the C locale's order, whatever LC_ALL is. */
	qsort(list->paths + first, list->count - first, sizeof *list->paths,
	      compare_names);
	for (size_t i = first; i < list->count; i++) {
		char *name = list->paths[i];
		size_t length = strlen(dir);
		bool slash = length > 0 && dir[length - 1] == '/';
		list->paths[i] = xasprintf("%s%s%s", dir, slash ? "" : "/", name);
		free(name);
	}
	return true;
}

bool file_list_expand(file_list *list, char *const *args, size_t count)
{
	bool ok = true;

	for (size_t i = 0; i < count; i++) {
		struct stat info;
		if (stat(args[i], &info) == 0 && S_ISDIR(info.st_mode))
			ok = expand_directory(list, args[i]) && ok;
		else
			list_add(list, xstrdup(args[i]));
	}
	return ok;
}

void file_list_free(file_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->paths[i]);
	free(list->paths);
	memset(list, 0, sizeof *list);
}

void cli_print_version(void)
{
	printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
}
