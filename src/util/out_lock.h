/* One writer per output folder.  Two runs writing the same folder at once
 * would rename each other's temporary files (NAME.tmp) and report damage
 * that is not there, so report, render and run hold an exclusive flock on
 * the folder itself while they write; a second one fails at once. */
#ifndef MANDATE_OUT_LOCK_H
#define MANDATE_OUT_LOCK_H

/* Creates dir if needed (make_dirs) and locks it without waiting.  Returns
 * a descriptor that holds the lock until closed (at exit at the latest),
 * or -1 after reporting "output folder DIR is being written by another
 * run" (or why it cannot be made or opened). */
int out_lock(const char *dir);

#endif
