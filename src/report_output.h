/* Writing both workbooks from collected report data: KPIs computed once,
 * DIR/status.xlsx and DIR/performance.xlsx each written to NAME.tmp,
 * fsync'ed and renamed into place, with LC_NUMERIC at "C" meanwhile. */
#ifndef MANDATE_REPORT_OUTPUT_H
#define MANDATE_REPORT_OUTPUT_H

#include "report_data.h"

/* head: the ledger head (SEQ:HASH) for the document properties.  Returns
 * an exit code: 0, 3 (a sum overflows: the books are wrong) or 4. */
int report_output_write(const report_data *data, const char *head,
                        const char *dir);

#endif
