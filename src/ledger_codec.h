/* Operations ⇄ ledger records.  Each booked operation is one record whose
 * type is the operation's name (order, amend, advance, ...) carrying every
 * field needed to replay it, followed by one "post" record per posting.
 * See mandate-ledger(5) for the fields. */
#ifndef MANDATE_LEDGER_CODEC_H
#define MANDATE_LEDGER_CODEC_H

#include "batch.h"
#include "ledger_format.h"
#include "order_book.h"

/* Builds the record of op (with the version and the amend/complete facts of
 * its effect) into rb. */
void codec_encode_op(record_builder *rb, const operation *op,
                     const op_effect *effect);
/* Builds the "post" record of posting p of order order_id. */
void codec_encode_posting(record_builder *rb, const char *order_id,
                          const posting *p);

/* Whether a record type names an operation. */
bool codec_is_op(const char *type);
/* Decodes an operation record into *op (zeroed first; owned strings, free
 * with operation_clear).  Returns 0, or -1 with a reason in why. */
int codec_decode_op(const record *rec, operation *op, char why[128]);
/* Decodes a "post" record.  Returns 0 or -1 with a reason. */
int codec_decode_posting(const record *rec, posting *p, char why[128]);

#endif
