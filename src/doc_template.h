/* Document templates (SPEC §4): templates/KIND.LANG.xml, validated against
 * schemas/template.xsd and compiled once into the tree below, which
 * doc_render walks for every document.
 *
 * Everything a template can get wrong is found at load time and reported
 * as FILE:LINE: an unknown {placeholder} or <if test>, a placeholder not
 * available in this kind of document ({penalty} outside an act), a
 * placeholder whose value may be absent ({client.taxId}) outside an <if>
 * that tests for it, a misplaced element.  A loaded template therefore
 * never leaves a blank in a document.
 *
 * Ownership: doc_templates owns its six templates; each template owns its
 * tree and strings.  Loaded once per process, read-only afterwards. */
#ifndef MANDATE_DOC_TEMPLATE_H
#define MANDATE_DOC_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "batch.h"
#include "doc_kind.h"

#define DOC_KIND_COUNT 3

/* Placeholders: the values a document can show. */
typedef enum tpl_value {
	V_ORDER_ID, V_ORDER_VERSION, V_ORDER_PREVIOUS_VERSION,
	V_CLIENT_NAME, V_CLIENT_ID, V_CLIENT_TAX_ID, V_CLIENT_ADDRESS,
	V_CLIENT_EMAIL,
	V_FIRM_NAME, V_FIRM_TAX_ID, V_FIRM_ADDRESS, V_FIRM_CITY,
	V_EXECUTOR_NAME, V_TITLE, V_DESCRIPTION, V_ACCEPTANCE,
	V_PRICE, V_CURRENCY, V_RECEIVED, V_START, V_DUE, V_AGREEMENT_DATE,
	V_COMPLETED, V_PENALTY_RATE, V_PENALTY_CAP, V_CONFIDENTIALITY,
	V_RESOURCES_TOTAL, V_DOC_DATE,
	V_DAYS_LATE, V_DAYS_LATE_UNIT, V_PENALTY, V_FINAL_AMOUNT, V_PAYMENTS,
	V_BALANCE_DUE, V_OVERPAYMENT,
	V_REASON, V_SIGNER_NAME, V_PAGE, V_PAGES,
	V_COUNT
} tpl_value;

/* Placeholders of the small patterns inside <changes><values>. */
typedef enum tpl_local {
	L_NAME, L_KIND, L_QUANTITY, L_UNIT, L_UNIT_COST, L_TOTAL, L_AMOUNT,
	L_TEXT, L_RATE, L_CAP, L_LEVEL, L_N,
	L_COUNT
} tpl_local;

/* Conditions of <if test="...">. */
typedef enum tpl_cond {
	C_PENALTY, C_SECRET, C_CONFIDENTIALITY, C_RESTRICTED, C_CLAUSES,
	C_RESOURCES,
	C_DELIVERABLES, C_ACCEPTANCE, C_START,
	C_CLIENT_TAX_ID, C_CLIENT_ADDRESS, C_CLIENT_EMAIL,
	C_LATE, C_PENALTY_CHARGED, C_PAYMENTS, C_BALANCE_DUE, C_OVERPAID,
	C_REASON,
	C_CHANGED_TITLE, C_CHANGED_DESCRIPTION, C_CHANGED_EXECUTOR,
	C_CHANGED_START, C_CHANGED_DUE, C_CHANGED_PRICE, C_CHANGED_RESOURCES,
	C_CHANGED_RESULT, C_CHANGED_TERMS,
	C_KIND_FINANCIAL, C_KIND_LEGAL, C_KIND_CONSTRUCTION, C_KIND_MARKETING,
	C_KIND_LOGISTICS, C_KIND_OTHER,
	C_COUNT
} tpl_cond;
/* C_CHANGED_TITLE + i is the condition of field bit 1u << i. */

/* A piece of text: literal (white space folded), a placeholder, or a
 * local placeholder of a change pattern. */
typedef enum tpl_seg_type { SEG_TEXT, SEG_VALUE, SEG_LOCAL } tpl_seg_type;

typedef struct tpl_segment {
	tpl_seg_type type;
	int id;                    /* tpl_value or tpl_local */
	bool long_form;            /* dates: {due:long} */
	bool bold;                 /* inside <b> */
	char *text;                /* SEG_TEXT */
} tpl_segment;

typedef struct tpl_text {
	tpl_segment *segs;
	size_t count;
} tpl_text;

typedef enum tpl_node_type {
	N_BODY, N_TITLE, N_SUBTITLE, N_DATELINE, N_SECTION, N_P, N_IF, N_LIST,
	N_RESOURCES, N_CHANGES, N_FACTS, N_FACT, N_SIGNATURES, N_PARTY, N_LINE
} tpl_node_type;

typedef enum tpl_list_of { LIST_DELIVERABLES, LIST_CLAUSES } tpl_list_of;
typedef enum tpl_list_style {
	LIST_BULLET, LIST_NUMBER, LIST_CLAUSE
} tpl_list_style;

typedef enum tpl_res_col {
	RES_NO, RES_NAME, RES_KIND, RES_QUANTITY, RES_UNIT, RES_UNIT_COST,
	RES_TOTAL
} tpl_res_col;

/* The patterns of <changes><values>, in attribute order. */
typedef enum tpl_change_value {
	CV_NONE, CV_RESOURCE, CV_RESOURCES_TOTAL, CV_DELIVERABLE,
	CV_ACCEPTANCE, CV_PENALTY, CV_NO_PENALTY, CV_CONFIDENTIALITY,
	CV_CLAUSE,
	CV_COUNT
} tpl_change_value;

typedef struct tpl_node tpl_node;
struct tpl_node {
	tpl_node_type type;
	long line;
	/* title, subtitle, p, fact value, line; section heading; dateline
	 * left; party heading */
	tpl_text text;
	/* dateline right; fact label; party sign; resources total label */
	tpl_text text2;
	/* the firm's party: the seal drawn in its signature box */
	tpl_text text3;
	tpl_node *children;        /* body, section, if, facts, party,
	                              signatures (firm, client) */
	size_t child_count;
	/* N_IF */
	tpl_cond cond;
	bool negate;
	/* N_P: numbered; N_FACT: bold */
	bool flag;
	/* N_LIST */
	tpl_list_of list_of;
	tpl_list_style list_style;
	/* N_RESOURCES */
	tpl_res_col columns[7];
	tpl_text column_heads[7];
	size_t column_count;
	/* N_CHANGES: heads (field, old, new), field names (FIELD_COUNT),
	 * value patterns */
	tpl_text change_heads[3];
	tpl_text field_names[FIELD_COUNT];
	tpl_text change_values[CV_COUNT];
};

typedef struct doc_template {
	char *path;
	doc_kind kind;
	language lang;
	/* <firm>: plain text */
	char *firm_name, *firm_tax_id, *firm_address, *firm_city;
	/* <labels> */
	char *resource_kinds[3];   /* staff, material, technology */
	char *confidentiality[CONF_COUNT];
	char *days[3];             /* one, few, many */
	/* <page> */
	tpl_text stamp, footer_left, footer_right;
	tpl_node body;
} doc_template;

typedef struct doc_templates doc_templates;

/* Loads and checks all six templates from the data directory
 * (templates/KIND.LANG.xml against schemas/template.xsd); every problem
 * is reported, and NULL returned when there is any. */
doc_templates *doc_templates_load(void);
void doc_templates_free(doc_templates *templates);
/* The template for a kind and language (never NULL). */
const doc_template *doc_templates_get(const doc_templates *templates,
                                      doc_kind kind, language lang);

/* One template from an explicit path (kind and lang from its root),
 * checked against schema_path (NULL: the data directory's). NULL when it
 * does not load (reported). */
doc_template *doc_template_load(const char *path, const char *schema_path);
void doc_template_free(doc_template *tpl);

#endif
