/* Reading a batch file into struct batch; see batch_read.h.
 *
 * The document has passed the XSD before conversion starts, so structure,
 * element order, enumerations and id patterns are known to hold; what is
 * checked here is what a single value needs beyond the schema. */
#include "batch_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <openssl/evp.h>

#include "util/diag.h"
#include "util/money.h"
#include "util/xalloc.h"
#include "util/datadir.h"
#include "xml_safe.h"

#define ORDERS_NS "urn:mandate:orders:1"

struct batch_reader {
	xmlSchemaPtr schema;
};

batch_reader *batch_reader_new(const char *schema_path)
{
	char *path = schema_path != NULL ? xstrdup(schema_path)
	                                 : datadir_path("schemas/orders.xsd");
	xmlSchemaPtr schema = xml_schema_load(path);
	batch_reader *reader;

	free(path);
	if (schema == NULL)
		return NULL;
	reader = xcalloc(1, sizeof *reader);
	reader->schema = schema;
	return reader;
}

void batch_reader_free(batch_reader *reader)
{
	if (reader == NULL)
		return;
	xmlSchemaFree(reader->schema);
	free(reader);
}

/* Conversion context: the file for messages and whether anything failed. */
struct conv {
	const char *path;
	bool failed;
};

__attribute__((format(printf, 3, 4)))
static void conv_error(struct conv *c, xmlNodePtr node, const char *format,
                       ...)
{
	char message[1024];
	va_list args;

	va_start(args, format);
	vsnprintf(message, sizeof message, format, args);
	va_end(args);
	diag_error(c->path, node != NULL ? xmlGetLineNo(node) : 0, "%s",
	           message);
	c->failed = true;
}

static bool is_element(xmlNodePtr node, const char *name)
{
	return node != NULL && node->type == XML_ELEMENT_NODE &&
	       node->ns != NULL &&
	       strcmp((const char *)node->ns->href, ORDERS_NS) == 0 &&
	       (name == NULL || strcmp((const char *)node->name, name) == 0);
}

static xmlNodePtr first_element(xmlNodePtr parent)
{
	xmlNodePtr node = parent != NULL ? parent->children : NULL;
	while (node != NULL && node->type != XML_ELEMENT_NODE)
		node = node->next;
	return node;
}

static xmlNodePtr next_element(xmlNodePtr node)
{
	for (node = node->next; node != NULL; node = node->next)
		if (node->type == XML_ELEMENT_NODE)
			return node;
	return NULL;
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr node = first_element(parent); node != NULL;
	     node = next_element(node))
		if (is_element(node, name))
			return node;
	return NULL;
}

/* Text with every run of white space folded to one space and both ends
 * trimmed: the documents wrap text themselves.  Owned by the caller. */
static char *folded_text(const xmlChar *raw)
{
	const char *s = raw != NULL ? (const char *)raw : "";
	char *out = xmalloc(strlen(s) + 1), *w = out;
	bool space = false;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			space = w != out;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = false;
		*w++ = *s;
	}
	*w = '\0';
	return out;
}

/* The content of a node or attribute whose only child is one text node
 * (nearly always), read in place; NULL otherwise. */
static const xmlChar *single_text(xmlNodePtr first_child)
{
	if (first_child != NULL && first_child->type == XML_TEXT_NODE &&
	    first_child->next == NULL)
		return first_child->content;
	return NULL;
}

static char *node_text(xmlNodePtr node)
{
	const xmlChar *direct;
	xmlChar *raw;
	char *text;

	if (node == NULL)
		return NULL;
	if (node->children == NULL)
		return folded_text(NULL);
	if ((direct = single_text(node->children)) != NULL)
		return folded_text(direct);
	raw = xmlNodeGetContent(node);
	text = folded_text(raw);
	xmlFree(raw);
	return text;
}

static char *child_text(xmlNodePtr parent, const char *name)
{
	return node_text(child(parent, name));
}

/* Attribute value, folded; NULL when absent. */
static char *attr(xmlNodePtr node, const char *name)
{
	xmlAttrPtr prop = xmlHasProp(node, (const xmlChar *)name);
	const xmlChar *direct;
	xmlChar *raw;
	char *text;

	if (prop == NULL)
		return NULL;
	if (prop->type == XML_ATTRIBUTE_NODE &&
	    (direct = single_text(prop->children)) != NULL)
		return folded_text(direct);
	raw = xmlGetProp(node, (const xmlChar *)name);
	if (raw == NULL)
		return NULL;
	text = folded_text(raw);
	xmlFree(raw);
	return text;
}

static void copy_ident(char dst[IDENT_MAX + 1], const char *src)
{
	snprintf(dst, IDENT_MAX + 1, "%s", src != NULL ? src : "");
}

static void attr_ident(xmlNodePtr node, const char *name,
                       char dst[IDENT_MAX + 1])
{
	char *value = attr(node, name);
	copy_ident(dst, value);
	free(value);
}

static date_t parse_date(struct conv *c, xmlNodePtr node, const char *text)
{
	date_t date;

	if (text == NULL || !date_parse(text, &date)) {
		conv_error(c, node, "invalid date '%s': expected a real "
		           "calendar date YYYY-MM-DD", text != NULL ? text : "");
		return DATE_NONE;
	}
	return date;
}

static date_t attr_date(struct conv *c, xmlNodePtr node, const char *name)
{
	char *text = attr(node, name);
	date_t date = parse_date(c, node, text);
	free(text);
	return date;
}

static date_t child_date(struct conv *c, xmlNodePtr parent, const char *name,
                         long *line)
{
	xmlNodePtr node = child(parent, name);
	char *text;
	date_t date;

	if (node == NULL)
		return DATE_NONE;
	text = node_text(node);
	date = parse_date(c, node, text);
	free(text);
	if (line != NULL)
		*line = xmlGetLineNo(node);
	return date;
}

static const currency *parse_currency(struct conv *c, xmlNodePtr node,
                                      const char *code, char out[4])
{
	const currency *cur = code != NULL ? currency_find(code) : NULL;

	if (cur == NULL) {
		conv_error(c, node, "unknown currency code '%s'",
		           code != NULL ? code : "");
		return NULL;
	}
	memcpy(out, cur->code, 4);
	return cur;
}

/* Parses a decimal with a fixed number of fraction digits. */
static int64_t parse_fixed(struct conv *c, xmlNodePtr node, const char *text,
                           const currency *scale, const char *what)
{
	int64_t value = 0;

	if (text == NULL)
		text = "";
	switch (money_parse(text, scale, &value)) {
	case MONEY_OK:
		return value;
	case MONEY_SYNTAX:
		conv_error(c, node, "invalid %s '%s'", what, text);
		break;
	case MONEY_PRECISION:
		if (scale->minor_digits == 0)
			conv_error(c, node, "%s '%s' has decimals, but %s has no "
			           "minor unit", what, text, scale->code);
		else
			conv_error(c, node, "%s '%s' has more than %d decimals "
			           "(%s)", what, text, scale->minor_digits,
			           scale->code);
		break;
	case MONEY_OVERFLOW:
		conv_error(c, node, "%s '%s' is too large", what, text);
		break;
	}
	return 0;
}

static const currency quantity_scale = { "qty", 3 };
static const currency percent_scale = { "%", 4 };

static void read_resources(struct conv *c, xmlNodePtr list,
                           const currency *cur, order_fields *f)
{
	size_t capacity = 0;

	for (xmlNodePtr node = first_element(list); node != NULL;
	     node = next_element(node)) {
		resource *r;
		char *text;

		if (!is_element(node, "resource"))
			continue;
		f->resources = xgrow(f->resources, &capacity,
		                     f->resource_count + 1, sizeof *f->resources);
		r = &f->resources[f->resource_count++];
		memset(r, 0, sizeof *r);
		text = attr(node, "kind");
		r->kind = cost_kind_from_name(text != NULL ? text : "");
		free(text);
		r->name = node_text(node);
		r->unit = attr(node, "unit");
		text = attr(node, "quantity");
		r->quantity = parse_fixed(c, node, text, &quantity_scale,
		                          "quantity");
		free(text);
		text = attr(node, "unitCost");
		/* Without a known currency the cost is read with two digits so
		 * that its own errors still show; the currency error is given
		 * where the price is. */
		r->unit_cost = parse_fixed(c, node, text,
		                           cur != NULL ? cur : currency_find("EUR"),
		                           "unit cost");
		free(text);
	}
}

static void read_result(xmlNodePtr node, order_fields *f)
{
	size_t capacity = 0;

	for (xmlNodePtr item = first_element(node); item != NULL;
	     item = next_element(item)) {
		if (is_element(item, "deliverable")) {
			f->deliverables = xgrow(f->deliverables, &capacity,
			                        f->deliverable_count + 1,
			                        sizeof *f->deliverables);
			f->deliverables[f->deliverable_count++] = node_text(item);
		} else if (is_element(item, "acceptance")) {
			free(f->acceptance);
			f->acceptance = node_text(item);
		}
	}
}

static void read_terms(struct conv *c, xmlNodePtr node, order_terms *t)
{
	size_t capacity = 0;

	for (xmlNodePtr item = first_element(node); item != NULL;
	     item = next_element(item)) {
		char *text;
		if (is_element(item, "penalty")) {
			t->has_penalty = true;
			text = attr(item, "ratePerDay");
			t->penalty_rate_per_day = parse_fixed(c, item, text,
			                          &percent_scale, "penalty rate");
			free(text);
			text = attr(item, "capPercent");
			t->penalty_cap = parse_fixed(c, item, text,
			                             &percent_scale, "penalty cap");
			free(text);
		} else if (is_element(item, "confidentiality")) {
			t->has_confidentiality = true;
			text = attr(item, "level");
			t->confidentiality =
				confidentiality_from_name(text != NULL ? text : "");
			free(text);
		} else if (is_element(item, "clause")) {
			t->clauses = xgrow(t->clauses, &capacity,
			                   t->clause_count + 1, sizeof *t->clauses);
			t->clauses[t->clause_count++] = node_text(item);
		}
	}
}

/* Reads the amendable fields present under parent (an <order> or an
 * <amend>).  The price is read first: resources are in its currency. */
static void read_fields(struct conv *c, xmlNodePtr parent, order_fields *f)
{
	xmlNodePtr node;
	const currency *cur = NULL;

	if ((node = child(parent, "price")) != NULL) {
		char *code = attr(node, "currency");
		char *text = node_text(node);
		f->present |= FIELD_PRICE;
		f->line_price = xmlGetLineNo(node);
		cur = parse_currency(c, node, code, f->currency);
		if (cur != NULL)
			f->price = parse_fixed(c, node, text, cur, "price");
		free(code);
		free(text);
	}
	if ((f->title = child_text(parent, "title")) != NULL)
		f->present |= FIELD_TITLE;
	if ((f->description = child_text(parent, "description")) != NULL)
		f->present |= FIELD_DESCRIPTION;
	if ((node = child(parent, "executor")) != NULL) {
		f->present |= FIELD_EXECUTOR;
		attr_ident(node, "id", f->executor_id);
		f->executor_name = node_text(node);
	}
	f->start = child_date(c, parent, "start", &f->line_start);
	if (f->start != DATE_NONE || child(parent, "start") != NULL)
		f->present |= FIELD_START;
	f->due = child_date(c, parent, "due", &f->line_due);
	if (f->due != DATE_NONE || child(parent, "due") != NULL)
		f->present |= FIELD_DUE;
	if ((node = child(parent, "resources")) != NULL) {
		f->present |= FIELD_RESOURCES;
		read_resources(c, node, cur, f);
	}
	if ((node = child(parent, "result")) != NULL) {
		f->present |= FIELD_RESULT;
		read_result(node, f);
	}
	if ((node = child(parent, "terms")) != NULL) {
		f->present |= FIELD_TERMS;
		read_terms(c, node, &f->terms);
	}
}

static void read_client(xmlNodePtr node, client *cl)
{
	char *lang = attr(node, "lang");

	attr_ident(node, "id", cl->id);
	cl->lang = lang != NULL && strcmp(lang, "en") == 0 ? LANG_EN : LANG_RU;
	free(lang);
	cl->name = child_text(node, "name");
	cl->tax_id = child_text(node, "taxId");
	cl->email = child_text(node, "email");
	cl->address = child_text(node, "address");
}

static void read_order(struct conv *c, xmlNodePtr node, operation *op)
{
	char *text;
	xmlNodePtr received;

	attr_ident(node, "id", op->order_id);
	text = attr(node, "priority");
	op->priority = text != NULL ? priority_from_name(text) : PRIORITY_NORMAL;
	free(text);
	read_client(child(node, "client"), &op->client);
	text = child_text(node, "kind");
	op->order_kind = order_kind_from_name(text != NULL ? text : "");
	free(text);
	received = child(node, "received");
	op->line_received = received != NULL ? xmlGetLineNo(received) : op->line;
	op->on = child_date(c, node, "received", NULL);
	read_fields(c, node, &op->fields);
}

static int64_t attr_amount(struct conv *c, xmlNodePtr node, operation *op)
{
	char *code = attr(node, "currency");
	char *text = attr(node, "amount");
	const currency *cur = parse_currency(c, node, code, op->currency);
	int64_t amount = cur != NULL ? parse_fixed(c, node, text, cur, "amount")
	                             : 0;
	free(code);
	free(text);
	return amount;
}

static int attr_int(xmlNodePtr node, const char *name)
{
	char *text = attr(node, name);
	int value = text != NULL ? atoi(text) : 0;   /* XSD bounded it */
	free(text);
	return value;
}

static void read_operation(struct conv *c, xmlNodePtr node, operation *op)
{
	char *text;

	op->kind = op_kind_from_name((const char *)node->name);
	op->line = xmlGetLineNo(node);
	if (op->kind == OP_ORDER) {
		read_order(c, node, op);
		return;
	}
	attr_ident(node, "order", op->order_id);
	op->on = attr_date(c, node, op->kind == OP_AMEND ? "effective" : "on");
	switch (op->kind) {
	case OP_AMEND:
		op->reason = attr(node, "reason");
		read_fields(c, node, &op->fields);
		break;
	case OP_ADVANCE:
		text = attr(node, "stage");
		op->stage = stage_from_name(text != NULL ? text : "");
		free(text);
		break;
	case OP_PROGRESS:
		op->percent = attr_int(node, "percent");
		op->text = node_text(node);
		break;
	case OP_COST:
		text = attr(node, "kind");
		op->cost_kind = cost_kind_from_name(text != NULL ? text : "");
		free(text);
		op->amount = attr_amount(c, node, op);
		op->text = node_text(node);
		break;
	case OP_PAYMENT:
		op->amount = attr_amount(c, node, op);
		op->reference = attr(node, "reference");
		break;
	case OP_COMPLETE:
		op->text = node_text(node);
		break;
	case OP_EVALUATE:
		op->score = attr_int(node, "score");
		op->text = node_text(node);
		break;
	case OP_CANCEL:
		op->reason = attr(node, "reason");
		break;
	default:
		break;
	}
}

static batch *convert(const char *path, xmlDocPtr doc)
{
	struct conv c = { .path = path };
	xmlNodePtr root = xmlDocGetRootElement(doc);
	batch *b = xcalloc(1, sizeof *b);
	size_t capacity = 0;

	b->path = xstrdup(path);
	attr_ident(root, "id", b->id);
	b->issued = attr(root, "issued");
	for (xmlNodePtr node = first_element(root); node != NULL;
	     node = next_element(node)) {
		if (!is_element(node, NULL) ||
		    op_kind_from_name((const char *)node->name) < 0)
			continue;
		b->ops = xgrow(b->ops, &capacity, b->op_count + 1,
		               sizeof *b->ops);
		memset(&b->ops[b->op_count], 0, sizeof *b->ops);
		read_operation(&c, node, &b->ops[b->op_count++]);
	}
	if (c.failed) {
		batch_free(b);
		return NULL;
	}
	return b;
}

batch_read_status batch_read_file(batch_reader *reader, const char *path,
                                  batch **out)
{
	xml_file file;
	xmlDocPtr doc;
	xml_status status;
	unsigned char digest[32];

	*out = NULL;
	if (xml_read_file(path, &file) != XML_OK)
		return BATCH_READ_UNREADABLE;
	EVP_Digest(file.data, file.length, digest, NULL, EVP_sha256(), NULL);
	status = xml_parse_untrusted(path, file.data, file.length, &doc);
	xml_file_close(&file);
	if (status != XML_OK)
		return (batch_read_status)status;
	status = xml_validate(reader->schema, doc, path);
	if (status == XML_OK) {
		*out = convert(path, doc);
		if (*out == NULL)
			status = XML_INVALID;
		else
			memcpy((*out)->sha256, digest, sizeof digest);
	}
	xmlFreeDoc(doc);
	return (batch_read_status)status;
}
