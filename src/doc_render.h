/* From an order to a finished, unsigned PDF (SPEC §4): the template of the
 * document's kind in the client's language, filled with the order's data,
 * drawn by doc_layout.
 *
 * Numbers and dates are written the way each language writes them:
 *   ru  150 000,00 ₽ (a narrow no-break space between digit groups; the
 *       sign for RUB, EUR, USD, GBP, JPY, CNY, else the ISO code),
 *       26.11.2026, «26» ноября 2026 г. (":long"), 0,1 %
 *   en  RUB 150,000.00 (always the ISO code), 26 November 2026, 0.1%
 * The output depends on nothing but the request and the templates (no
 * clock, no locale): the same request gives the same bytes. */
#ifndef MANDATE_DOC_RENDER_H
#define MANDATE_DOC_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "doc_template.h"
#include "order_book.h"

typedef struct doc_request {
	doc_kind kind;
	const order_state *order;  /* the order as the document shows it */
	const order_state *before; /* DOC_AMENDMENT: the order before */
	const op_effect *effect;   /* amendment: .changed; act: .days_late,
	                              .penalty */
	date_t date;               /* the document's date (from the data,
	                              never the clock) */
	int64_t payments;          /* DOC_ACT: payments as of the completion
	                              date */
	const char *signer_name;   /* visible signature block text */
	const char *reason;        /* DOC_AMENDMENT: the amend's reason
	                              ({amend.reason}); NULL when unknown */
} doc_request;

/* Renders into *pdf (xmalloc'ed, caller frees) / *length, and reports the
 * page (0-based) and rectangle (PDF user space, x1 y1 x2 y2) of the
 * signature block for the signer's widget.  Returns 0 or -1 (reported:
 * an order without what the document needs, an amount that overflows,
 * a libharu failure). */
int doc_render(const doc_templates *templates, const doc_request *req,
               unsigned char **pdf, size_t *length, int *sig_page,
               double sig_rect[4]);

/* The same with one given template (its kind must be req->kind). */
int doc_render_with(const doc_template *tpl, const doc_request *req,
                    unsigned char **pdf, size_t *length, int *sig_page,
                    double sig_rect[4]);

#endif
