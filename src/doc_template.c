/* Loading and checking document templates; see doc_template.h. */
#include "doc_template.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/datadir.h"
#include "util/diag.h"
#include "util/xalloc.h"
#include "xml_safe.h"

#define KIND_BIT(kind) (1u << (kind))
#define ALL_KINDS 7u
#define AGREEMENT KIND_BIT(DOC_AGREEMENT)
#define AMENDMENT KIND_BIT(DOC_AMENDMENT)
#define ACT KIND_BIT(DOC_ACT)
#define NO_GUARD (-1)

struct doc_templates {
	doc_template *t[DOC_KIND_COUNT][LANG_COUNT];
};

/* ---- what a template may name ------------------------------------------ */

struct value_info {
	const char *name;
	unsigned kinds;            /* documents it is available in */
	int guard;                 /* tpl_cond that must be in force, or -1 */
	bool date;                 /* accepts ":long" */
	bool footer;               /* only in the footer */
};

/* Indexed by tpl_value. */
static const struct value_info values[V_COUNT] = {
	[V_ORDER_ID] = {"order.id", ALL_KINDS, NO_GUARD, false, false},
	[V_ORDER_VERSION] = {"order.version", ALL_KINDS, NO_GUARD, false, false},
	[V_ORDER_PREVIOUS_VERSION] = {"order.previousVersion", AMENDMENT,
	                              NO_GUARD, false, false},
	[V_CLIENT_NAME] = {"client.name", ALL_KINDS, NO_GUARD, false, false},
	[V_CLIENT_ID] = {"client.id", ALL_KINDS, NO_GUARD, false, false},
	[V_CLIENT_TAX_ID] = {"client.taxId", ALL_KINDS, C_CLIENT_TAX_ID,
	                     false, false},
	[V_CLIENT_ADDRESS] = {"client.address", ALL_KINDS, C_CLIENT_ADDRESS,
	                      false, false},
	[V_CLIENT_EMAIL] = {"client.email", ALL_KINDS, C_CLIENT_EMAIL,
	                    false, false},
	[V_FIRM_NAME] = {"firm.name", ALL_KINDS, NO_GUARD, false, false},
	[V_FIRM_TAX_ID] = {"firm.taxId", ALL_KINDS, NO_GUARD, false, false},
	[V_FIRM_ADDRESS] = {"firm.address", ALL_KINDS, NO_GUARD, false, false},
	[V_FIRM_CITY] = {"firm.city", ALL_KINDS, NO_GUARD, false, false},
	[V_EXECUTOR_NAME] = {"executor.name", ALL_KINDS, NO_GUARD, false,
	                     false},
	[V_TITLE] = {"title", ALL_KINDS, NO_GUARD, false, false},
	[V_DESCRIPTION] = {"description", ALL_KINDS, NO_GUARD, false, false},
	[V_ACCEPTANCE] = {"acceptance", ALL_KINDS, C_ACCEPTANCE, false, false},
	[V_PRICE] = {"price", ALL_KINDS, NO_GUARD, false, false},
	[V_CURRENCY] = {"currency", ALL_KINDS, NO_GUARD, false, false},
	[V_RECEIVED] = {"received", ALL_KINDS, NO_GUARD, true, false},
	[V_START] = {"start", ALL_KINDS, C_START, true, false},
	[V_DUE] = {"due", ALL_KINDS, NO_GUARD, true, false},
	[V_AGREEMENT_DATE] = {"agreement.date", ALL_KINDS, NO_GUARD, true,
	                      false},
	[V_COMPLETED] = {"completed", ACT, NO_GUARD, true, false},
	[V_PENALTY_RATE] = {"penalty.rate", ALL_KINDS, C_PENALTY, false,
	                    false},
	[V_PENALTY_CAP] = {"penalty.cap", ALL_KINDS, C_PENALTY, false, false},
	[V_CONFIDENTIALITY] = {"confidentiality", ALL_KINDS, C_CONFIDENTIALITY,
	                       false, false},
	[V_RESOURCES_TOTAL] = {"resources.total", ALL_KINDS, C_RESOURCES,
	                       false, false},
	[V_DOC_DATE] = {"doc.date", ALL_KINDS, NO_GUARD, true, false},
	[V_DAYS_LATE] = {"days_late", ACT, NO_GUARD, false, false},
	[V_DAYS_LATE_UNIT] = {"days_late.unit", ACT, NO_GUARD, false, false},
	[V_PENALTY] = {"penalty", ACT, NO_GUARD, false, false},
	[V_FINAL_AMOUNT] = {"final_amount", ACT, NO_GUARD, false, false},
	[V_PAYMENTS] = {"payments", ACT, NO_GUARD, false, false},
	[V_BALANCE_DUE] = {"balance_due", ACT, NO_GUARD, false, false},
	[V_OVERPAYMENT] = {"overpayment", ACT, C_OVERPAID, false, false},
	[V_REASON] = {"amend.reason", AMENDMENT, C_REASON, false, false},
	[V_SIGNER_NAME] = {"signer.name", ALL_KINDS, NO_GUARD, false, false},
	[V_PAGE] = {"page", ALL_KINDS, NO_GUARD, false, true},
	[V_PAGES] = {"pages", ALL_KINDS, NO_GUARD, false, true},
};

struct cond_info {
	const char *name;
	unsigned kinds;
};

/* Indexed by tpl_cond. */
static const struct cond_info conds[C_COUNT] = {
	[C_PENALTY] = {"penalty", ALL_KINDS},
	[C_SECRET] = {"secret", ALL_KINDS},
	[C_CONFIDENTIALITY] = {"confidentiality", ALL_KINDS},
	[C_RESTRICTED] = {"restricted", ALL_KINDS},
	[C_CLAUSES] = {"clauses", ALL_KINDS},
	[C_RESOURCES] = {"resources", ALL_KINDS},
	[C_DELIVERABLES] = {"deliverables", ALL_KINDS},
	[C_ACCEPTANCE] = {"acceptance", ALL_KINDS},
	[C_START] = {"start", ALL_KINDS},
	[C_CLIENT_TAX_ID] = {"client.taxId", ALL_KINDS},
	[C_CLIENT_ADDRESS] = {"client.address", ALL_KINDS},
	[C_CLIENT_EMAIL] = {"client.email", ALL_KINDS},
	[C_LATE] = {"late", ACT},
	[C_PENALTY_CHARGED] = {"penalty.charged", ACT},
	[C_PAYMENTS] = {"payments", ACT},
	[C_BALANCE_DUE] = {"balance.due", ACT},
	[C_OVERPAID] = {"overpaid", ACT},
	[C_REASON] = {"reason", AMENDMENT},
	[C_CHANGED_TITLE] = {"changed.title", AMENDMENT},
	[C_CHANGED_DESCRIPTION] = {"changed.description", AMENDMENT},
	[C_CHANGED_EXECUTOR] = {"changed.executor", AMENDMENT},
	[C_CHANGED_START] = {"changed.start", AMENDMENT},
	[C_CHANGED_DUE] = {"changed.due", AMENDMENT},
	[C_CHANGED_PRICE] = {"changed.price", AMENDMENT},
	[C_CHANGED_RESOURCES] = {"changed.resources", AMENDMENT},
	[C_CHANGED_RESULT] = {"changed.result", AMENDMENT},
	[C_CHANGED_TERMS] = {"changed.terms", AMENDMENT},
	[C_KIND_FINANCIAL] = {"kind.financial", ALL_KINDS},
	[C_KIND_LEGAL] = {"kind.legal", ALL_KINDS},
	[C_KIND_CONSTRUCTION] = {"kind.construction", ALL_KINDS},
	[C_KIND_MARKETING] = {"kind.marketing", ALL_KINDS},
	[C_KIND_LOGISTICS] = {"kind.logistics", ALL_KINDS},
	[C_KIND_OTHER] = {"kind.other", ALL_KINDS},
};

static const char *const local_names[L_COUNT] = {
	[L_NAME] = "name", [L_KIND] = "kind", [L_QUANTITY] = "quantity",
	[L_UNIT] = "unit", [L_UNIT_COST] = "unitCost", [L_TOTAL] = "total",
	[L_AMOUNT] = "amount", [L_TEXT] = "text", [L_RATE] = "rate",
	[L_CAP] = "cap", [L_LEVEL] = "level", [L_N] = "n",
};

#define LOCAL(id) (1u << (id))

/* <changes><values>: attribute names and the locals each may use. */
static const struct {
	const char *attr;
	unsigned locals;
} change_values[CV_COUNT] = {
	[CV_NONE] = {"none", 0},
	[CV_RESOURCE] = {"resource", LOCAL(L_NAME) | LOCAL(L_KIND) |
	                 LOCAL(L_QUANTITY) | LOCAL(L_UNIT) |
	                 LOCAL(L_UNIT_COST) | LOCAL(L_TOTAL)},
	[CV_RESOURCES_TOTAL] = {"resourcesTotal", LOCAL(L_AMOUNT)},
	[CV_DELIVERABLE] = {"deliverable", LOCAL(L_TEXT)},
	[CV_ACCEPTANCE] = {"acceptance", LOCAL(L_TEXT)},
	[CV_PENALTY] = {"penalty", LOCAL(L_RATE) | LOCAL(L_CAP)},
	[CV_NO_PENALTY] = {"noPenalty", 0},
	[CV_CONFIDENTIALITY] = {"confidentiality", LOCAL(L_LEVEL)},
	[CV_CLAUSE] = {"clause", LOCAL(L_N) | LOCAL(L_TEXT)},
};

static const char *const resource_columns[] = {
	"no", "name", "kind", "quantity", "unit", "unitCost", "total"
};

/* ---- the loader ---------------------------------------------------------- */

/* Where a piece of text stands decides what it may name. */
typedef enum scope { SCOPE_BODY, SCOPE_FOOTER, SCOPE_LOCAL } scope;

struct loader {
	const char *path;
	doc_template *tpl;
	size_t errors;
	uint64_t guards;           /* conditions known true here */
	int if_depth;
	bool in_section;
	int signatures;
};

__attribute__((format(printf, 3, 4)))
static void fail(struct loader *ld, long line, const char *format, ...)
{
	char message[1024];
	va_list args;

	va_start(args, format);
	vsnprintf(message, sizeof message, format, args);
	va_end(args);
	diag_error(ld->path, line, "%s", message);
	ld->errors++;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], diag_prev;

	if (lb >= sizeof row / sizeof row[0] || la >= 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		diag_prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t keep = row[j];
			size_t best = diag_prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag_prev = keep;
		}
	}
	return row[lb];
}

static const char *value_name_at(size_t i)
{
	return values[i].name;
}

static const char *cond_name_at(size_t i)
{
	return conds[i].name;
}

/* The closest known name to a misspelt one, or NULL. */
static const char *suggest(const char *name,
                           const char *(*name_at)(size_t), size_t count)
{
	const char *best = NULL;
	size_t best_distance = 3;

	for (size_t i = 0; i < count; i++) {
		size_t d = edit_distance(name, name_at(i));
		if (d < best_distance) {
			best_distance = d;
			best = name_at(i);
		}
	}
	return best;
}

static void push_segment(tpl_text *out, tpl_segment seg)
{
	out->segs = xrealloc(out->segs, (out->count + 1) * sizeof *out->segs);
	out->segs[out->count++] = seg;
}

static void push_literal(tpl_text *out, const char *text, size_t length,
                         bool bold)
{
	tpl_segment seg = { .type = SEG_TEXT, .bold = bold };

	if (length == 0)
		return;
	seg.text = xstrndup(text, length);
	push_segment(out, seg);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int find_value(const char *name)
{
	for (int i = 0; i < V_COUNT; i++)
		if (strcmp(values[i].name, name) == 0)
			return i;
	return -1;
}

static int find_local(const char *name)
{
	for (int i = 0; i < L_COUNT; i++)
		if (strcmp(local_names[i], name) == 0)
			return i;
	return -1;
}

static int find_cond(const char *name)
{
	for (int i = 0; i < C_COUNT; i++)
		if (strcmp(conds[i].name, name) == 0)
			return i;
	return -1;
}

/* Checks one placeholder name (with its ":format", if any) and appends
 * its segment; false when it was reported. */
static bool compile_placeholder(struct loader *ld, const char *spec,
                                long line, bool bold, scope where,
                                unsigned locals, tpl_text *out)
{
	char name[128];
	const char *format = strchr(spec, ':');
	size_t length = format != NULL ? (size_t)(format - spec) : strlen(spec);
	tpl_segment seg = { .bold = bold };
	int id;

	if (length == 0 || length >= sizeof name) {
		fail(ld, line, "empty or overlong placeholder {%s}", spec);
		return false;
	}
	memcpy(name, spec, length);
	name[length] = '\0';
	if (where == SCOPE_LOCAL) {
		id = find_local(name);
		if (id < 0 || !(locals & LOCAL(id))) {
			char allowed[256] = "";
			for (int i = 0; i < L_COUNT; i++)
				if (locals & LOCAL(i)) {
					size_t used = strlen(allowed);
					snprintf(allowed + used, sizeof allowed - used,
					         "%s{%s}", used > 0 ? " " : "",
					         local_names[i]);
				}
			fail(ld, line, "unknown placeholder {%s} in this pattern "
			     "(it may use: %s)", spec,
			     allowed[0] != '\0' ? allowed : "none");
			return false;
		}
		if (format != NULL) {
			fail(ld, line, "placeholder {%s} takes no format", spec);
			return false;
		}
		seg.type = SEG_LOCAL;
		seg.id = id;
		push_segment(out, seg);
		return true;
	}
	id = find_value(name);
	if (id < 0) {
		const char *near = suggest(name, value_name_at, V_COUNT);
		if (near != NULL)
			fail(ld, line, "unknown placeholder {%s} (did you mean "
			     "{%s}?)", spec, near);
		else
			fail(ld, line, "unknown placeholder {%s}", spec);
		return false;
	}
	if (!(values[id].kinds & KIND_BIT(ld->tpl->kind))) {
		fail(ld, line, "placeholder {%s} is not available in an %s "
		     "template", name, doc_kind_name(ld->tpl->kind));
		return false;
	}
	if (values[id].footer && where != SCOPE_FOOTER) {
		fail(ld, line, "placeholder {%s} is only available in the "
		     "page footer", name);
		return false;
	}
	if (values[id].guard != NO_GUARD &&
	    !(ld->guards & ((uint64_t)1 << values[id].guard))) {
		fail(ld, line, "placeholder {%s} may have no value here: put "
		     "it inside <if test=\"%s\">", name,
		     conds[values[id].guard].name);
		return false;
	}
	if (format != NULL) {
		if (strcmp(format + 1, "long") != 0 || !values[id].date) {
			fail(ld, line, "unknown format in {%s} (only dates take "
			     "\":long\")", spec);
			return false;
		}
		seg.long_form = true;
	}
	seg.type = SEG_VALUE;
	seg.id = id;
	push_segment(out, seg);
	return true;
}

/* Compiles raw text (as in the file; its first character on line `line`)
 * into out: white space runs fold to one space, "{{" and "}}" are braces,
 * "{name}" a placeholder. */
static void compile_text(struct loader *ld, const char *raw, long line,
                         bool bold, scope where, unsigned locals,
                         tpl_text *out)
{
	size_t cap = strlen(raw) + 1, used = 0;
	char *literal = xmalloc(cap);
	const char *s = raw;

	while (*s != '\0') {
		if (is_space(*s)) {
			if (used == 0 || literal[used - 1] != ' ')
				literal[used++] = ' ';
			if (*s == '\n')
				line++;
			s++;
		} else if ((s[0] == '{' && s[1] == '{') ||
		           (s[0] == '}' && s[1] == '}')) {
			literal[used++] = *s;
			s += 2;
		} else if (*s == '}') {
			fail(ld, line, "unmatched '}' (write \"}}\" for a brace)");
			s++;
		} else if (*s == '{') {
			const char *end = s + 1;
			while (*end != '\0' && *end != '}' && *end != '{' &&
			       !is_space(*end))
				end++;
			if (*end != '}') {
				fail(ld, line, "unterminated placeholder (write "
				     "\"{{\" for a brace)");
				s++;
				continue;
			}
			push_literal(out, literal, used, bold);
			used = 0;
			{
				char *spec = xstrndup(s + 1, (size_t)(end - s - 1));
				compile_placeholder(ld, spec, line, bold, where,
				                    locals, out);
				free(spec);
			}
			s = end + 1;
		} else {
			literal[used++] = *s++;
		}
	}
	push_literal(out, literal, used, bold);
	free(literal);
}

/* Plain text (no placeholders): folded, owned by the caller. */
static char *plain_text(struct loader *ld, const char *raw, long line)
{
	char *out = xmalloc(strlen(raw) + 1), *w = out;

	for (const char *s = raw; *s != '\0'; s++) {
		if (*s == '{' || *s == '}') {
			fail(ld, line, "placeholders are not available in "
			     "<firm> and <labels>");
			break;
		}
		if (is_space(*s)) {
			if (w != out && w[-1] != ' ')
				*w++ = ' ';
		} else {
			*w++ = *s;
		}
	}
	while (w != out && w[-1] == ' ')
		w--;
	*w = '\0';
	return out;
}

static bool text_is_blank(const tpl_text *text)
{
	for (size_t i = 0; i < text->count; i++) {
		if (text->segs[i].type != SEG_TEXT)
			return false;
		for (const char *s = text->segs[i].text; *s != '\0'; s++)
			if (*s != ' ')
				return false;
	}
	return true;
}

/* ---- XML helpers --------------------------------------------------------- */

static bool named(xmlNodePtr node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)node->name, name) == 0;
}

static xmlNodePtr first_element(xmlNodePtr node)
{
	while (node != NULL && node->type != XML_ELEMENT_NODE)
		node = node->next;
	return node;
}

static xmlNodePtr next_element(xmlNodePtr node)
{
	return first_element(node->next);
}

static xmlNodePtr child_element(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr c = first_element(parent->children); c != NULL;
	     c = next_element(c))
		if (named(c, name))
			return c;
	return NULL;
}

static char *get_attr(xmlNodePtr node, const char *name)
{
	xmlChar *raw = xmlGetProp(node, (const xmlChar *)name);
	char *copy;

	if (raw == NULL)
		return NULL;
	copy = xstrdup((const char *)raw);
	xmlFree(raw);
	return copy;
}

static bool attr_bool(xmlNodePtr node, const char *name, bool fallback)
{
	char *value = get_attr(node, name);
	bool result = fallback;

	if (value != NULL) {
		char *s = value;
		while (is_space(*s))
			s++;
		result = s[0] == 't' || s[0] == '1';
		free(value);
	}
	return result;
}

/* The line a text node starts on: libxml2 gives the line it ends on. */
static long text_start_line(xmlNodePtr text)
{
	long line = xmlGetLineNo(text);

	for (const xmlChar *s = text->content; s != NULL && *s != '\0'; s++)
		if (*s == '\n')
			line--;
	return line;
}

/* An element's whole text content (simple content elements). */
static void compile_content(struct loader *ld, xmlNodePtr element,
                            bool bold, scope where, tpl_text *out)
{
	for (xmlNodePtr c = element->children; c != NULL; c = c->next)
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
			compile_text(ld, (const char *)c->content,
			             text_start_line(c), bold, where, 0, out);
}

static void compile_attr(struct loader *ld, xmlNodePtr element,
                         const char *name, scope where, unsigned locals,
                         tpl_text *out)
{
	char *value = get_attr(element, name);

	if (value != NULL)
		compile_text(ld, value, xmlGetLineNo(element), false, where,
		             locals, out);
	free(value);
}

static char *plain_attr(struct loader *ld, xmlNodePtr element,
                        const char *name)
{
	char *value = get_attr(element, name);
	char *text = plain_text(ld, value != NULL ? value : "",
	                        xmlGetLineNo(element));
	free(value);
	return text;
}

/* ---- the tree ------------------------------------------------------------ */

static void text_free(tpl_text *text)
{
	for (size_t i = 0; i < text->count; i++)
		free(text->segs[i].text);
	free(text->segs);
	text->segs = NULL;
	text->count = 0;
}

static void node_clear(tpl_node *node)
{
	for (size_t i = 0; i < node->child_count; i++)
		node_clear(&node->children[i]);
	free(node->children);
	text_free(&node->text);
	text_free(&node->text2);
	text_free(&node->text3);
	for (size_t i = 0; i < 7; i++)
		text_free(&node->column_heads[i]);
	for (size_t i = 0; i < 3; i++)
		text_free(&node->change_heads[i]);
	for (size_t i = 0; i < FIELD_COUNT; i++)
		text_free(&node->field_names[i]);
	for (size_t i = 0; i < CV_COUNT; i++)
		text_free(&node->change_values[i]);
	memset(node, 0, sizeof *node);
}

static tpl_node *add_child(tpl_node *parent, tpl_node_type type,
                           xmlNodePtr element)
{
	tpl_node *node;

	parent->children = xrealloc(parent->children,
	                            (parent->child_count + 1) *
	                            sizeof *parent->children);
	node = &parent->children[parent->child_count++];
	memset(node, 0, sizeof *node);
	node->type = type;
	node->line = xmlGetLineNo(element);
	return node;
}

static void build_blocks(struct loader *ld, xmlNodePtr parent,
                         tpl_node *into);

/* <if test="...">: the children are built with the condition known. */
static void build_if(struct loader *ld, xmlNodePtr element, tpl_node *node,
                     void (*children)(struct loader *, xmlNodePtr,
                                      tpl_node *))
{
	char *test = get_attr(element, "test");
	const char *name = test;
	uint64_t saved = ld->guards;
	int cond;

	while (is_space(*name))
		name++;
	node->negate = *name == '!';
	if (node->negate)
		name++;
	cond = find_cond(name);
	if (cond < 0) {
		const char *near = suggest(name, cond_name_at, C_COUNT);
		if (near != NULL)
			fail(ld, node->line, "unknown condition \"%s\" (did you "
			     "mean \"%s\"?)", name, near);
		else
			fail(ld, node->line, "unknown condition \"%s\"", name);
	} else if (!(conds[cond].kinds & KIND_BIT(ld->tpl->kind))) {
		fail(ld, node->line, "condition \"%s\" is not available in an "
		     "%s template", name, doc_kind_name(ld->tpl->kind));
	} else {
		node->cond = (tpl_cond)cond;
		if (!node->negate)
			ld->guards |= (uint64_t)1 << cond;
	}
	free(test);
	ld->if_depth++;
	children(ld, element, node);
	ld->if_depth--;
	ld->guards = saved;
}

static void need_guard(struct loader *ld, long line, tpl_cond cond,
                       const char *what)
{
	if (!(ld->guards & ((uint64_t)1 << cond)))
		fail(ld, line, "%s may be empty: put it inside <if test=\"%s\">",
		     what, conds[cond].name);
}

static void build_p(struct loader *ld, xmlNodePtr element, tpl_node *node)
{
	node->flag = attr_bool(element, "numbered", true);
	for (xmlNodePtr c = element->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
			compile_text(ld, (const char *)c->content,
			             text_start_line(c), false, SCOPE_BODY, 0,
			             &node->text);
		else if (named(c, "b"))
			compile_content(ld, c, true, SCOPE_BODY, &node->text);
	}
	if (text_is_blank(&node->text))
		fail(ld, node->line, "empty paragraph");
}

static void build_list(struct loader *ld, xmlNodePtr element,
                       tpl_node *node)
{
	char *of = get_attr(element, "of"), *style = get_attr(element, "style");

	node->list_of = of != NULL && strcmp(of, "clauses") == 0 ?
	                LIST_CLAUSES : LIST_DELIVERABLES;
	node->list_style = style == NULL || strcmp(style, "bullet") == 0 ?
	                   LIST_BULLET : strcmp(style, "number") == 0 ?
	                   LIST_NUMBER : LIST_CLAUSE;
	need_guard(ld, node->line, node->list_of == LIST_CLAUSES ? C_CLAUSES :
	           C_DELIVERABLES, node->list_of == LIST_CLAUSES ?
	           "the list of clauses" : "the list of deliverables");
	if (node->list_style == LIST_CLAUSE && !ld->in_section)
		fail(ld, node->line, "a list of style \"clause\" numbers its items "
		     "as paragraphs of a section: put it inside a <section>");
	free(of);
	free(style);
}

static void build_resources(struct loader *ld, xmlNodePtr element,
                            tpl_node *node)
{
	unsigned seen = 0;

	need_guard(ld, node->line, C_RESOURCES, "the resources table");
	compile_attr(ld, element, "total", SCOPE_BODY, 0, &node->text2);
	for (xmlNodePtr c = first_element(element->children); c != NULL;
	     c = next_element(c)) {
		char *field = get_attr(c, "field");
		size_t k = 0;

		while (k < 7 && (field == NULL ||
		                 strcmp(field, resource_columns[k]) != 0))
			k++;
		free(field);
		if (k == 7)
			continue;      /* the schema has refused it already */
		if (seen & (1u << k)) {
			fail(ld, xmlGetLineNo(c), "column \"%s\" appears twice",
			     resource_columns[k]);
			continue;
		}
		seen |= 1u << k;
		node->columns[node->column_count] = (tpl_res_col)k;
		compile_content(ld, c, true, SCOPE_BODY,
		                &node->column_heads[node->column_count]);
		node->column_count++;
	}
}

static void build_changes(struct loader *ld, xmlNodePtr element,
                          tpl_node *node)
{
	static const char *const heads[3] = { "field", "old", "new" };
	xmlNodePtr names = child_element(element, "names");
	xmlNodePtr patterns = child_element(element, "values");

	if (ld->tpl->kind != DOC_AMENDMENT)
		fail(ld, node->line, "the changes table is only available in an "
		     "amendment template");
	for (size_t i = 0; i < 3; i++)
		compile_attr(ld, element, heads[i], SCOPE_BODY, 0,
		             &node->change_heads[i]);
	for (unsigned i = 0; names != NULL && i < FIELD_COUNT; i++)
		compile_attr(ld, names, field_name(1u << i), SCOPE_BODY, 0,
		             &node->field_names[i]);
	for (size_t i = 0; patterns != NULL && i < CV_COUNT; i++)
		compile_attr(ld, patterns, change_values[i].attr, SCOPE_LOCAL,
		             change_values[i].locals, &node->change_values[i]);
}

static void build_fact(struct loader *ld, xmlNodePtr element, tpl_node *node)
{
	node->flag = attr_bool(element, "bold", false);
	compile_attr(ld, element, "label", SCOPE_BODY, 0, &node->text2);
	compile_content(ld, element, false, SCOPE_BODY, &node->text);
}

static void build_fact_rows(struct loader *ld, xmlNodePtr parent,
                            tpl_node *into)
{
	for (xmlNodePtr c = first_element(parent->children); c != NULL;
	     c = next_element(c)) {
		if (named(c, "row"))
			build_fact(ld, c, add_child(into, N_FACT, c));
		else if (named(c, "if"))
			build_if(ld, c, add_child(into, N_IF, c), build_fact_rows);
	}
}

static void build_party_lines(struct loader *ld, xmlNodePtr parent,
                              tpl_node *into)
{
	for (xmlNodePtr c = first_element(parent->children); c != NULL;
	     c = next_element(c)) {
		if (named(c, "line"))
			compile_content(ld, c, false, SCOPE_BODY,
			                &add_child(into, N_LINE, c)->text);
		else if (named(c, "if"))
			build_if(ld, c, add_child(into, N_IF, c),
			         build_party_lines);
	}
}

static void build_party(struct loader *ld, xmlNodePtr element,
                        tpl_node *node)
{
	xmlNodePtr heading = child_element(element, "heading");
	xmlNodePtr seal = child_element(element, "seal");
	xmlNodePtr sign = child_element(element, "sign");

	if (heading != NULL)
		compile_content(ld, heading, true, SCOPE_BODY, &node->text);
	if (seal != NULL)
		compile_content(ld, seal, false, SCOPE_BODY, &node->text3);
	if (sign != NULL)
		compile_content(ld, sign, false, SCOPE_BODY, &node->text2);
	build_party_lines(ld, element, node);
}

static void build_signatures(struct loader *ld, xmlNodePtr element,
                             tpl_node *node)
{
	xmlNodePtr firm = child_element(element, "firm");
	xmlNodePtr other = child_element(element, "client");

	if (ld->if_depth > 0)
		fail(ld, node->line, "the signature block may not stand inside "
		     "an <if>: every document is signed");
	if (++ld->signatures > 1)
		fail(ld, node->line, "a second signature block (a document has "
		     "exactly one)");
	if (firm != NULL)
		build_party(ld, firm, add_child(node, N_PARTY, firm));
	if (other != NULL)
		build_party(ld, other, add_child(node, N_PARTY, other));
}

static void build_section(struct loader *ld, xmlNodePtr element,
                          tpl_node *node)
{
	compile_attr(ld, element, "heading", SCOPE_BODY, 0, &node->text);
	ld->in_section = true;
	build_blocks(ld, element, node);
	ld->in_section = false;
}

static void build_blocks(struct loader *ld, xmlNodePtr parent,
                         tpl_node *into)
{
	for (xmlNodePtr c = first_element(parent->children); c != NULL;
	     c = next_element(c)) {
		const char *name = (const char *)c->name;
		tpl_node *node;

		if (strcmp(name, "title") == 0 || strcmp(name, "subtitle") == 0) {
			node = add_child(into, name[0] == 't' ? N_TITLE :
			                 N_SUBTITLE, c);
			compile_content(ld, c, name[0] == 't', SCOPE_BODY,
			                &node->text);
		} else if (strcmp(name, "dateline") == 0) {
			node = add_child(into, N_DATELINE, c);
			compile_content(ld, child_element(c, "left"), false,
			                SCOPE_BODY, &node->text);
			compile_content(ld, child_element(c, "right"), false,
			                SCOPE_BODY, &node->text2);
		} else if (strcmp(name, "section") == 0) {
			build_section(ld, c, add_child(into, N_SECTION, c));
		} else if (strcmp(name, "p") == 0) {
			build_p(ld, c, add_child(into, N_P, c));
		} else if (strcmp(name, "if") == 0) {
			build_if(ld, c, add_child(into, N_IF, c), build_blocks);
		} else if (strcmp(name, "list") == 0) {
			build_list(ld, c, add_child(into, N_LIST, c));
		} else if (strcmp(name, "resources") == 0) {
			build_resources(ld, c, add_child(into, N_RESOURCES, c));
		} else if (strcmp(name, "changes") == 0) {
			build_changes(ld, c, add_child(into, N_CHANGES, c));
		} else if (strcmp(name, "facts") == 0) {
			node = add_child(into, N_FACTS, c);
			build_fact_rows(ld, c, node);
		} else if (strcmp(name, "signatures") == 0) {
			build_signatures(ld, c, add_child(into, N_SIGNATURES, c));
		}
	}
}

/* ---- the head of a template ---------------------------------------------- */

static void build_labels(struct loader *ld, xmlNodePtr labels)
{
	static const char *const kinds[3] = { "staff", "material",
	                                      "technology" };
	static const char *const days[3] = { "one", "few", "many" };
	doc_template *t = ld->tpl;
	xmlNodePtr node;

	if ((node = child_element(labels, "resourceKinds")) != NULL)
		for (size_t i = 0; i < 3; i++)
			t->resource_kinds[i] = plain_attr(ld, node, kinds[i]);
	if ((node = child_element(labels, "confidentiality")) != NULL)
		for (int i = 0; i < CONF_COUNT; i++)
			t->confidentiality[i] = plain_attr(
				ld, node, confidentiality_name((confidentiality)i));
	if ((node = child_element(labels, "days")) != NULL)
		for (size_t i = 0; i < 3; i++)
			t->days[i] = plain_attr(ld, node, days[i]);
}

static void build_head(struct loader *ld, xmlNodePtr root)
{
	doc_template *t = ld->tpl;
	xmlNodePtr firm = child_element(root, "firm");
	xmlNodePtr labels = child_element(root, "labels");
	xmlNodePtr page = child_element(root, "page");
	xmlNodePtr footer = page != NULL ? child_element(page, "footer") : NULL;

	if (firm != NULL) {
		t->firm_name = plain_attr(ld, firm, "name");
		t->firm_tax_id = plain_attr(ld, firm, "taxId");
		t->firm_address = plain_attr(ld, firm, "address");
		t->firm_city = plain_attr(ld, firm, "city");
	}
	if (labels != NULL)
		build_labels(ld, labels);
	if (page != NULL && child_element(page, "stamp") != NULL)
		compile_content(ld, child_element(page, "stamp"), true,
		                SCOPE_BODY, &t->stamp);
	if (footer != NULL) {
		compile_content(ld, child_element(footer, "left"), false,
		                SCOPE_FOOTER, &t->footer_left);
		compile_content(ld, child_element(footer, "right"), false,
		                SCOPE_FOOTER, &t->footer_right);
	}
}

/* ---- loading ------------------------------------------------------------- */

void doc_template_free(doc_template *t)
{
	if (t == NULL)
		return;
	free(t->path);
	free(t->firm_name);
	free(t->firm_tax_id);
	free(t->firm_address);
	free(t->firm_city);
	for (size_t i = 0; i < 3; i++) {
		free(t->resource_kinds[i]);
		free(t->days[i]);
	}
	for (size_t i = 0; i < CONF_COUNT; i++)
		free(t->confidentiality[i]);
	text_free(&t->stamp);
	text_free(&t->footer_left);
	text_free(&t->footer_right);
	node_clear(&t->body);
	free(t);
}

/* Reads the root's kind and lang; false when reported. */
static bool root_identity(struct loader *ld, xmlNodePtr root, int want_kind,
                          int want_lang)
{
	char *kind = get_attr(root, "kind"), *lang = get_attr(root, "lang");
	int k = -1, l = lang != NULL ? language_from_name(lang) : -1;
	bool good = true;

	for (int i = 0; kind != NULL && i < DOC_KIND_COUNT; i++)
		if (strcmp(kind, doc_kind_name((doc_kind)i)) == 0)
			k = i;
	if (k < 0 || l < 0) {
		fail(ld, xmlGetLineNo(root), "the template's kind or lang is "
		     "missing");
		good = false;
	} else if ((want_kind >= 0 && k != want_kind) ||
	           (want_lang >= 0 && l != want_lang)) {
		fail(ld, xmlGetLineNo(root), "the file says kind=\"%s\" "
		     "lang=\"%s\" but is loaded as the %s %s template", kind,
		     lang, doc_kind_name((doc_kind)want_kind),
		     language_name((language)want_lang));
		good = false;
	} else {
		ld->tpl->kind = (doc_kind)k;
		ld->tpl->lang = (language)l;
	}
	free(kind);
	free(lang);
	return good;
}

static doc_template *load_one(xmlSchemaPtr schema, const char *path,
                              int want_kind, int want_lang)
{
	struct loader ld = { .path = path };
	xml_file file;
	xmlDocPtr doc = NULL;
	xml_status status;
	xmlNodePtr root;

	if (xml_read_file(path, &file) != XML_OK)
		return NULL;
	status = xml_parse_untrusted(path, file.data, file.length, &doc);
	xml_file_close(&file);
	if (status != XML_OK)
		return NULL;
	if (xml_validate(schema, doc, path) != XML_OK) {
		xmlFreeDoc(doc);
		return NULL;
	}
	ld.tpl = xcalloc(1, sizeof *ld.tpl);
	ld.tpl->path = xstrdup(path);
	root = xmlDocGetRootElement(doc);
	if (root_identity(&ld, root, want_kind, want_lang)) {
		xmlNodePtr body = child_element(root, "body");
		build_head(&ld, root);
		ld.tpl->body.type = N_BODY;
		if (body != NULL) {
			ld.tpl->body.line = xmlGetLineNo(body);
			build_blocks(&ld, body, &ld.tpl->body);
		}
		if (ld.signatures == 0)
			fail(&ld, body != NULL ? xmlGetLineNo(body) : 0,
			     "the template has no <signatures> block");
	}
	xmlFreeDoc(doc);
	if (ld.errors > 0) {
		doc_template_free(ld.tpl);
		return NULL;
	}
	return ld.tpl;
}

doc_template *doc_template_load(const char *path, const char *schema_path)
{
	char *own = schema_path == NULL ? datadir_path("schemas/template.xsd")
	                                : NULL;
	xmlSchemaPtr schema = xml_schema_load(own != NULL ? own : schema_path);
	doc_template *t = NULL;

	if (schema != NULL) {
		t = load_one(schema, path, -1, -1);
		xmlSchemaFree(schema);
	}
	free(own);
	return t;
}

doc_templates *doc_templates_load(void)
{
	char *schema_path = datadir_path("schemas/template.xsd");
	xmlSchemaPtr schema = xml_schema_load(schema_path);
	doc_templates *all;
	bool good = true;

	free(schema_path);
	if (schema == NULL)
		return NULL;
	all = xcalloc(1, sizeof *all);
	for (int k = 0; k < DOC_KIND_COUNT; k++)
		for (int l = 0; l < LANG_COUNT; l++) {
			char *relative = xasprintf("templates/%s.%s.xml",
			                           doc_kind_name((doc_kind)k),
			                           language_name((language)l));
			char *path = datadir_path(relative);
			all->t[k][l] = load_one(schema, path, k, l);
			good = good && all->t[k][l] != NULL;
			free(path);
			free(relative);
		}
	xmlSchemaFree(schema);
	if (!good) {
		doc_templates_free(all);
		return NULL;
	}
	return all;
}

void doc_templates_free(doc_templates *all)
{
	if (all == NULL)
		return;
	for (int k = 0; k < DOC_KIND_COUNT; k++)
		for (int l = 0; l < LANG_COUNT; l++)
			doc_template_free(all->t[k][l]);
	free(all);
}

const doc_template *doc_templates_get(const doc_templates *all,
                                      doc_kind kind, language lang)
{
	return all->t[kind][lang];
}
