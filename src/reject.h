/* Rejected batch files: moved to the reject folder with NAME.errors.txt
 * beside them, holding every file:line: message that refused them.  The
 * errors file is written first, then the batch is moved, so a crash leaves
 * at worst an errors file beside a batch still in the incoming folder (the
 * re-run rejects it again and replaces the errors file). */
#ifndef MANDATE_REJECT_H
#define MANDATE_REJECT_H

/* Moves path into reject_dir (created if missing) and writes
 * reject_dir/NAME.errors.txt with errors.  A file of the same name already
 * there is replaced.  Returns 0, or -1 after reporting. */
int reject_file(const char *path, const char *reject_dir, const char *errors);

#endif
