/* Writing the ledger's postings for other tools: a ledger-cli / hledger
 * journal (accounts and commodities declared first, one transaction per
 * operation, closing balance assertions) or CSV.  No timestamps: the same
 * ledger always exports the same bytes. */
#ifndef MANDATE_EXPORT_JOURNAL_H
#define MANDATE_EXPORT_JOURNAL_H

#include <stdio.h>

#include "ledger_store.h"

typedef enum { EXPORT_LEDGER, EXPORT_CSV } export_format;

/* Scans l (twice) and writes to out.  Returns LEDGER_OK, LEDGER_INTEGRITY
 * or LEDGER_ENV. */
int export_journal(ledger *l, export_format format, FILE *out);

#endif
