#include "util/datadir.h"

#include <stdlib.h>

#include "util/xalloc.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/mandate"
#endif

char *datadir_path(const char *relative)
{
	const char *base = getenv("MANDATE_DATADIR");

	if (base == NULL || *base == '\0')
		base = PKGDATADIR;
	return xasprintf("%s/%s", base, relative);
}
