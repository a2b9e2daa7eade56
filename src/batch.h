/* The in-memory form of one order batch file (SPEC §2).
 *
 * Ownership: a batch owns every string and array reachable from it;
 * batch_free() releases them all.  Strings are UTF-8, NUL-terminated, never
 * NULL when their presence bit is set (optional text absent = NULL).
 * Every operation keeps the source line of its element so rule checks can
 * point at it. */
#ifndef MANDATE_BATCH_H
#define MANDATE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/date.h"
#include "util/ident.h"

typedef enum op_kind {
	OP_ORDER, OP_AMEND, OP_ADVANCE, OP_PROGRESS, OP_COST, OP_PAYMENT,
	OP_COMPLETE, OP_EVALUATE, OP_CANCEL,
	OP_KIND_COUNT
} op_kind;

typedef enum stage {
	STAGE_IDENTIFICATION, STAGE_PLANNING, STAGE_AGREEMENT, STAGE_FIXATION,
	STAGE_EXECUTION, STAGE_EVALUATION, STAGE_CLOSED, STAGE_CANCELLED,
	STAGE_COUNT
} stage;

typedef enum order_kind {
	KIND_FINANCIAL, KIND_LEGAL, KIND_CONSTRUCTION, KIND_MARKETING,
	KIND_LOGISTICS, KIND_OTHER,
	ORDER_KIND_COUNT
} order_kind;

typedef enum priority {
	PRIORITY_LOW, PRIORITY_NORMAL, PRIORITY_HIGH, PRIORITY_URGENT,
	PRIORITY_COUNT
} priority;

typedef enum confidentiality {
	CONF_PUBLIC, CONF_INTERNAL, CONF_CONFIDENTIAL, CONF_SECRET,
	CONF_COUNT
} confidentiality;

/* Resource kinds are the first three cost kinds. */
typedef enum cost_kind {
	COST_STAFF, COST_MATERIAL, COST_TECHNOLOGY, COST_OTHER,
	COST_KIND_COUNT
} cost_kind;

typedef enum language { LANG_RU, LANG_EN, LANG_COUNT } language;

/* Names as they appear in the XML (and in the ledger). */
const char *op_kind_name(op_kind kind);
const char *stage_name(stage value);
const char *order_kind_name(order_kind kind);
const char *priority_name(priority value);
const char *confidentiality_name(confidentiality value);
const char *cost_kind_name(cost_kind kind);
const char *language_name(language lang);
/* Reverse look-ups: return -1 when name is not one of the names. */
int stage_from_name(const char *name);
int order_kind_from_name(const char *name);
int priority_from_name(const char *name);
int confidentiality_from_name(const char *name);
int cost_kind_from_name(const char *name);
int language_from_name(const char *name);
int op_kind_from_name(const char *name);

/* Fixed-point scales. */
#define QUANTITY_SCALE 1000     /* resource quantity: 3 fraction digits */
#define PERCENT_SCALE 10000     /* penalty rates: 4 fraction digits of % */

typedef struct resource {
	cost_kind kind;            /* staff, material or technology */
	char *name;
	char *unit;
	int64_t quantity;          /* × QUANTITY_SCALE, > 0 */
	int64_t unit_cost;         /* minor units of the order currency, >= 0 */
} resource;

typedef struct order_terms {
	bool has_penalty;
	int64_t penalty_rate_per_day;  /* percent × PERCENT_SCALE */
	int64_t penalty_cap;           /* percent × PERCENT_SCALE */
	bool has_confidentiality;
	confidentiality confidentiality;
	char **clauses;
	size_t clause_count;
} order_terms;

/* The fields an <amend> may replace; an <order> sets them first. */
enum {
	FIELD_TITLE = 1u << 0,
	FIELD_DESCRIPTION = 1u << 1,
	FIELD_EXECUTOR = 1u << 2,
	FIELD_START = 1u << 3,
	FIELD_DUE = 1u << 4,
	FIELD_PRICE = 1u << 5,
	FIELD_RESOURCES = 1u << 6,
	FIELD_RESULT = 1u << 7,
	FIELD_TERMS = 1u << 8,
	FIELD_ALL = (1u << 9) - 1
};
#define FIELD_COUNT 9
/* "title", "description", ... in the order of the bits above. */
const char *field_name(unsigned field_bit);

typedef struct order_fields {
	unsigned present;          /* FIELD_* bits of the fields given */
	char *title;
	char *description;
	char executor_id[IDENT_MAX + 1];
	char *executor_name;
	date_t start;
	date_t due;
	int64_t price;             /* minor units, > 0 */
	char currency[4];
	resource *resources;
	size_t resource_count;
	char **deliverables;
	size_t deliverable_count;
	char *acceptance;          /* may be NULL */
	order_terms terms;
	/* source lines of the elements, for diagnostics (0 = absent) */
	long line_start, line_due, line_price;
} order_fields;

typedef struct client {
	char id[IDENT_MAX + 1];
	language lang;
	char *name;
	char *tax_id;              /* optional: NULL */
	char *email;               /* optional: NULL */
	char *address;             /* optional: NULL */
} client;

typedef struct operation {
	op_kind kind;
	long line;                 /* line of the operation's element */
	char order_id[IDENT_MAX + 1];
	date_t on;                 /* order: received; amend: effective;
	                              others: on */
	/* OP_ORDER */
	priority priority;
	client client;
	order_kind order_kind;
	long line_received;
	/* OP_ORDER and OP_AMEND */
	order_fields fields;
	/* OP_AMEND, OP_CANCEL */
	char *reason;
	/* OP_ADVANCE */
	stage stage;
	/* OP_PROGRESS */
	int percent;
	/* OP_PROGRESS, OP_COST, OP_COMPLETE: note; OP_EVALUATE: feedback */
	char *text;
	/* OP_COST, OP_PAYMENT */
	cost_kind cost_kind;
	int64_t amount;            /* minor units, > 0 */
	char currency[4];
	char *reference;           /* OP_PAYMENT */
	/* OP_EVALUATE */
	int score;
} operation;

typedef struct batch {
	char *path;                /* as given on the command line */
	char id[IDENT_MAX + 1];
	char *issued;              /* xs:dateTime text as written */
	unsigned char sha256[32];  /* of the file's bytes */
	operation *ops;
	size_t op_count;
} batch;

void batch_free(batch *b);
/* Frees what one operation owns (not op itself). */
void operation_clear(operation *op);
void order_fields_free(order_fields *fields);
/* Deep copy of src into dst (dst is overwritten, not freed first). */
void order_fields_copy(order_fields *dst, const order_fields *src);

#endif
