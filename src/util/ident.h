/* Identifiers (batch, order, client, executor) become file names, so they
 * match [A-Za-z0-9][A-Za-z0-9._-]{0,63} and nothing else. */
#ifndef MANDATE_IDENT_H
#define MANDATE_IDENT_H

#include <stdbool.h>

#define IDENT_MAX 64

bool ident_valid(const char *text);

#endif
