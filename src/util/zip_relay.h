/* Running a zip_visitor on a thread of its own, so that what it does with
 * the bytes (parsing XML, say) overlaps with the inflating.
 *
 *     zip_visitor outer;
 *     zip_relay *relay = zip_relay_start(&inner, &outer);
 *     count = zip_read_entries(path, relay ? &outer : &inner, why);
 *     zip_relay_stop(relay);
 *
 * The inner visitor sees exactly the calls it would see directly, in the
 * same order (chunks may be joined into bigger ones), on the relay's
 * thread.  Its refusal reaches zip_read_entries at the next call (chunks
 * are passed on without waiting) or at the entry's end (which waits for
 * the inner visitor to be done with the entry), with the inner message.
 * A begin that fails is reported at its entry's first chunk or end. */
#ifndef MANDATE_ZIP_RELAY_H
#define MANDATE_ZIP_RELAY_H

#include "util/zip_read.h"

typedef struct zip_relay zip_relay;

/* Starts the thread and fills *outer; NULL (outer untouched) when no
 * thread can be started: then use inner directly. */
zip_relay *zip_relay_start(const zip_visitor *inner, zip_visitor *outer);
/* Finishes what is queued, stops the thread and frees the relay (NULL is
 * fine). */
void zip_relay_stop(zip_relay *relay);

#endif
