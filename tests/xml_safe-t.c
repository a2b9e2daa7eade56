/* xml_safe: the node budget that bounds a parse's memory whatever the
 * file ("<a/>" is four bytes of file and some 130 bytes of tree). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/diag.h"
#include "xml_safe.h"

/* A document: <r> then count copies of unit then </r>. */
static char *document(const char *unit, size_t count)
{
	size_t unit_length = strlen(unit);
	char *text = malloc(count * unit_length + 16);
	char *at;

	if (text == NULL)
		bail("out of memory");
	at = text + sprintf(text, "<r>");
	for (size_t i = 0; i < count; i++, at += unit_length)
		memcpy(at, unit, unit_length);
	strcpy(at, "</r>");
	return text;
}

/* Parses; returns the diagnostics (owned by the caller), *parsed. */
static char *parse(const char *text, bool *parsed)
{
	xmlDocPtr doc = NULL;

	diag_capture_begin();
	*parsed = xml_parse_untrusted("t.xml", text, strlen(text), &doc) == XML_OK;
	if (doc != NULL)
		xmlFreeDoc(doc);
	return diag_capture_end();
}

static const char refusal[] = "t.xml:1: error: more than 1000 XML "
	"nodes (elements, attributes, text, comments): split the batch into "
	"several files\n";

/* Each kind of node counts: 999 fit with the root, 1000 do not. */
static void test_kinds(void)
{
	static const struct { const char *unit, *what; size_t fit; } kinds[] = {
		{ "<a/>", "elements", 999 },
		{ "<a/>x", "elements and text between them", 499 },
		{ "<!---->", "comments", 999 },
		{ "<?p?>", "processing instructions", 999 },
		{ "<a b='' c=''/>", "attributes", 333 },
		{ "<a xmlns:n='u'/>", "namespace declarations", 499 },
	};

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		char *text = document(kinds[i].unit, kinds[i].fit), *said;
		bool parsed;

		said = parse(text, &parsed);
		ok(parsed && *said == '\0', "%zu × %s: within the budget",
		   kinds[i].fit, kinds[i].what);
		free(said);
		free(text);
		text = document(kinds[i].unit, kinds[i].fit + 1);
		said = parse(text, &parsed);
		ok(!parsed, "one more: refused (%s)", kinds[i].what);
		is_string(refusal, said, "saying so, once");
		free(said);
		free(text);
	}
}

/* A long text node arrives in many pieces but is one node. */
static void test_long_text(void)
{
	char *text = document("x", 1 << 20), *said;
	bool parsed;

	said = parse(text, &parsed);
	ok(parsed && *said == '\0', "1 MiB of text is one node");
	free(said);
	free(text);
}

int main(void)
{
	plan(6 * 3 + 1 + 1);
	xml_safe_max_nodes = 1000;
	test_kinds();
	test_long_text();
	xml_safe_max_nodes = XML_SAFE_MAX_NODES;
	{
		char *text = document("<a b='1'>t</a>", 100000), *said;
		bool parsed;

		said = parse(text, &parsed);
		ok(parsed && *said == '\0', "the real budget: 300,001 nodes parse");
		free(said);
		free(text);
	}
	return tap_done();
}
