/* The three documents of SPEC §4. */
#ifndef MANDATE_DOC_KIND_H
#define MANDATE_DOC_KIND_H

typedef enum doc_kind { DOC_AGREEMENT, DOC_AMENDMENT, DOC_ACT } doc_kind;

/* "agreement", "amendment", "act": the file name's last part. */
const char *doc_kind_name(doc_kind kind);

#endif
