/* Where installed data (schemas, templates) lives: $MANDATE_DATADIR when set
 * (tests, running from a source tree), else the configured $(pkgdatadir). */
#ifndef MANDATE_DATADIR_H
#define MANDATE_DATADIR_H

/* "<datadir>/<relative>", owned by the caller. */
char *datadir_path(const char *relative);

#endif
