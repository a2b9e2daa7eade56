/* XML batch file → struct batch: safe parse, XSD validation, conversion to
 * typed values (dates, money in minor units) with the checks that a single
 * value needs (real dates, known currency, precision, overflow).  The
 * schema is compiled once per reader and reused for every file. */
#ifndef MANDATE_BATCH_READ_H
#define MANDATE_BATCH_READ_H

#include "batch.h"

typedef struct batch_reader batch_reader;

/* Loads the schema from schema_path, or from the data directory when NULL.
 * Returns NULL (reported) when the schema cannot be compiled. */
batch_reader *batch_reader_new(const char *schema_path);
void batch_reader_free(batch_reader *reader);

typedef enum batch_read_status {
	BATCH_READ_OK = 0,
	BATCH_READ_INVALID = 1,    /* errors reported as file:line */
	BATCH_READ_UNREADABLE = 4  /* I/O: cannot open or read */
} batch_read_status;

/* Reads, validates and converts one file.  On BATCH_READ_OK *out is a new
 * batch owned by the caller (batch_free). */
batch_read_status batch_read_file(batch_reader *reader, const char *path,
                                  batch **out);

#endif
