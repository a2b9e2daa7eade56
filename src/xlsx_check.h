/* Checking a workbook file as written, before it gets its final name.
 *
 * libxlsxwriter 1.1.4 does not check its writes to the scratch files it
 * assembles each part in: a write that fails there (disk full, I/O error,
 * file size limit) leaves a part cut short, yet workbook_close() reports
 * success.  So the archive is read back whole: every entry must inflate to
 * its recorded size and CRC-32, every XML part must be well-formed, and in
 * each worksheet the rows must rise, every cell must lie in its row, and
 * the last row must be the one the sheet's <dimension> announces.  A lost
 * stretch of a sheet cannot keep all of that true unless it lies inside
 * one cell's text. */
#ifndef MANDATE_XLSX_CHECK_H
#define MANDATE_XLSX_CHECK_H

/* 0 if the workbook at path reads back whole; otherwise -1 with *why set
 * (owned by the caller, naming the part and the line).
 *
 * Worksheets are first checked by sheet_scan, several times faster than
 * libxml2 (the XML parse is most of the time on a big sheet); only when
 * that first pass finds a part not as libxlsxwriter writes it does the
 * full pass (libxml2, as described above) run and decide. */
int xlsx_check(const char *path, char **why);
/* Each pass alone (for tests). */
int xlsx_check_quick(const char *path, char **why);
int xlsx_check_full(const char *path, char **why);

#endif
