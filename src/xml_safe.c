/* Safe parsing of untrusted XML; see xml_safe.h. */
#include "xml_safe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "util/diag.h"
#include "util/xalloc.h"

/* The file is read into its own anonymous mapping, not the heap: a batch
 * can be hundreds of megabytes, and a large malloc between the many small
 * ones of a parse makes glibc consolidate its free lists over and over.
 * (Not a file mapping: a file truncated while we read it would raise
 * SIGBUS; read(2) just reports it.) */
xml_status xml_read_file(const char *path, xml_file *file)
{
	struct stat info;
	char *buffer;
	size_t done = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	memset(file, 0, sizeof *file);
	if (fd < 0) {
		diag_error(path, 0, "cannot open: %s", strerror(errno));
		return XML_UNREADABLE;
	}
	if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
		diag_error(path, 0, "not a regular file");
		close(fd);
		return XML_UNREADABLE;
	}
	if ((unsigned long long)info.st_size > XML_SAFE_MAX_FILE) {
		diag_error(path, 0, "file is %llu bytes, over the limit of "
		           "%zu bytes (1 GiB) for a batch file",
		           (unsigned long long)info.st_size,
		           (size_t)XML_SAFE_MAX_FILE);
		close(fd);
		return XML_UNREADABLE;
	}
	file->length = (size_t)info.st_size;
	if (file->length == 0) {
		file->data = "";
		close(fd);
		return XML_OK;
	}
	buffer = mmap(NULL, file->length, PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buffer == MAP_FAILED) {
		diag_error(path, 0, "cannot read: %s", strerror(errno));
		close(fd);
		file->length = 0;
		return XML_UNREADABLE;
	}
	file->data = buffer;
	while (done < file->length) {
		ssize_t got = read(fd, buffer + done, file->length - done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			diag_error(path, 0, "cannot read: %s",
			           got < 0 ? strerror(errno) : "file shrank");
			close(fd);
			xml_file_close(file);
			return XML_UNREADABLE;
		}
		done += (size_t)got;
	}
	close(fd);
	return XML_OK;
}

void xml_file_close(xml_file *file)
{
	if (file->length > 0)
		munmap((void *)file->data, file->length);
	memset(file, 0, sizeof *file);
}

/* Length of the UTF-8 sequence starting at s (at most left bytes), or 0 when
 * it is not well-formed (overlong forms, surrogates and values beyond
 * U+10FFFF included). */
static size_t utf8_sequence(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	size_t need;
	unsigned long value;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
		value = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		value = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		value = c & 0x07;
	} else {
		return 0;
	}
	if (left < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		value = value << 6 | (s[i] & 0x3F);
	}
	if ((need == 3 && value < 0x800) || (need == 4 && value < 0x10000) ||
	    value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
		return 0;
	return need;
}

/* Refuses anything that is not UTF-8 text before libxml2 sees it: a UTF-16
 * or UTF-32 file (with or without a byte order mark) contains NUL bytes or
 * invalid sequences and is caught here with the line it starts on. */
static bool check_utf8(const char *path, const char *data, size_t length)
{
	const unsigned char *s = (const unsigned char *)data;
	long line = 1;
	size_t i = 0;

	if (length >= 2 && ((s[0] == 0xFE && s[1] == 0xFF) ||
	                    (s[0] == 0xFF && s[1] == 0xFE))) {
		diag_error(path, 1, "file is UTF-16, not UTF-8");
		return false;
	}
	while (i < length) {
		size_t n;
		/* Fast path: plain ASCII text, the bulk of every file. */
		while (i < length && s[i] >= 0x20 && s[i] < 0x80)
			i++;
		if (i == length)
			break;
		if (s[i] == '\n')
			line++;
		if (s[i] == '\0') {
			diag_error(path, line, "NUL byte in file: not UTF-8 text");
			return false;
		}
		n = utf8_sequence(s + i, length - i);
		if (n == 0) {
			diag_error(path, line, "invalid UTF-8 byte sequence");
			return false;
		}
		i += n;
	}
	return true;
}

struct error_sink {
	const char *path;
	unsigned reported;
	unsigned suppressed;
	bool doctype_seen;     /* or the node budget spent: parse stopped */
	size_t nodes;          /* nodes the tree holds so far */
	xmlSAXHandler sax2;    /* libxml2's own tree builders, which we wrap */
};

/* libxml2 names our elements "{urn:mandate:orders:1}price"; users know
 * them as "price".  Only our own namespaces go: a foreign one (a wrong
 * version, say) is the point of its message. */
static void strip_namespace(char *message)
{
	static const char *const ours[] = {
		"{urn:mandate:orders:1}", "{urn:mandate:template:1}"
	};
	char *at;

	for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
		size_t length = strlen(ours[i]);
		while ((at = strstr(message, ours[i])) != NULL)
			memmove(at, at + length, strlen(at + length) + 1);
	}
}

static void route_error(void *context, xmlErrorPtr error)
{
	struct error_sink *sink = context;
	char message[512];
	size_t length;

	if (error == NULL || error->level == XML_ERR_NONE)
		return;
	if (sink->doctype_seen)
		return;        /* our own message has been given */
	if (sink->reported >= XML_SAFE_MAX_ERRORS) {
		sink->suppressed++;
		return;
	}
	/* Bounded, single-line, and never more than the message itself: the
	 * file's content is not echoed beyond what libxml2 quotes. */
	snprintf(message, sizeof message, "%s",
	         error->message != NULL ? error->message : "XML error");
	length = strlen(message);
	while (length > 0 && (message[length - 1] == '\n' ||
	                      message[length - 1] == ' '))
		message[--length] = '\0';
	strip_namespace(message);
	for (char *p = message; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	if (error->level == XML_ERR_WARNING) {
		diag_warning(sink->path, error->line, "%s", message);
		return;
	}
	sink->reported++;
	diag_error(sink->path, error->line, "%s", message);
}

/* The sink of the parse in progress: the parser hands its handlers the
 * parser context, not ours; one per thread (batch files are read ahead
 * on reader threads). */
static _Thread_local struct error_sink *parse_sink;

static void route_parser_error(void *context, xmlErrorPtr error)
{
	(void)context;
	if (parse_sink != NULL)
		route_error(parse_sink, error);
}

static void finish_sink(const struct error_sink *sink)
{
	if (sink->suppressed > 0)
		diag_error(sink->path, 0, "%u more XML errors not shown",
		           sink->suppressed);
}

/* SAX hook called as soon as "<!DOCTYPE name ..." has been read, before
 * the internal subset: our format has no DTD, so stop right here. */
static void refuse_doctype(void *context, const xmlChar *name,
                           const xmlChar *external_id,
                           const xmlChar *system_id)
{
	xmlParserCtxtPtr parser = context;
	struct error_sink *sink = parse_sink;

	(void)name;
	(void)external_id;
	(void)system_id;
	if (!sink->doctype_seen) {
		sink->doctype_seen = true;
		diag_error(sink->path,
		           parser->input != NULL ? parser->input->line : 0,
		           "DOCTYPE is not allowed: batch files have no DTD");
	}
	xmlStopParser(parser);
}

/* The tree costs about 130 bytes a node however few bytes of the file
 * make one ("<a/>" is four), so the file size alone does not bound the
 * memory: count the nodes as they are made and stop at the budget. */
size_t xml_safe_max_nodes = XML_SAFE_MAX_NODES;

static bool spend_node(void *context, size_t count)
{
	xmlParserCtxtPtr parser = context;
	struct error_sink *sink = parse_sink;

	if (sink->doctype_seen)
		return false;
	sink->nodes += count;
	if (sink->nodes <= xml_safe_max_nodes)
		return true;
	sink->doctype_seen = true;
	diag_error(sink->path, parser->input != NULL ? parser->input->line : 0,
	           "more than %zu XML nodes (elements, attributes, text, "
	           "comments): split the batch into several files",
	           xml_safe_max_nodes);
	xmlStopParser(parser);
	return false;
}

static void count_element(void *context, const xmlChar *localname,
                          const xmlChar *prefix, const xmlChar *uri,
                          int nb_namespaces, const xmlChar **namespaces,
                          int nb_attributes, int nb_defaulted,
                          const xmlChar **attributes)
{
	if (spend_node(context, 1 + (size_t)nb_namespaces + (size_t)nb_attributes))
		parse_sink->sax2.startElementNs(context, localname, prefix, uri,
		                                nb_namespaces, namespaces,
		                                nb_attributes, nb_defaulted,
		                                attributes);
}

/* Text next to text joins the same node; only a new one is counted. */
static bool new_text_node(void *context)
{
	xmlParserCtxtPtr parser = context;
	xmlNodePtr last = parser->node != NULL ? parser->node->last : NULL;
	return last == NULL || last->type != XML_TEXT_NODE;
}

static void count_characters(void *context, const xmlChar *text, int length)
{
	if (!new_text_node(context) || spend_node(context, 1))
		parse_sink->sax2.characters(context, text, length);
}

static void count_blanks(void *context, const xmlChar *text, int length)
{
	if (!new_text_node(context) || spend_node(context, 1))
		parse_sink->sax2.ignorableWhitespace(context, text, length);
}

static void count_comment(void *context, const xmlChar *text)
{
	if (spend_node(context, 1))
		parse_sink->sax2.comment(context, text);
}

static void count_pi(void *context, const xmlChar *target, const xmlChar *data)
{
	if (spend_node(context, 1))
		parse_sink->sax2.processingInstruction(context, target, data);
}

struct memory_reader {
	const char *data;
	size_t left;
};

static int read_chunk(void *context, char *buffer, int size)
{
	struct memory_reader *reader = context;
	size_t n = reader->left < (size_t)size ? reader->left : (size_t)size;

	memcpy(buffer, reader->data, n);
	reader->data += n;
	reader->left -= n;
	return (int)n;
}

xml_status xml_parse_untrusted(const char *path, const char *data,
                               size_t length, xmlDocPtr *doc_out)
{
	struct error_sink sink = { .path = path };
	struct memory_reader reader;
	xmlParserCtxtPtr parser;
	xmlDocPtr doc;
	size_t errors_before = diag_error_count();
	const int options = XML_PARSE_NONET | XML_PARSE_NOCDATA |
	                    XML_PARSE_BIG_LINES | XML_PARSE_NOWARNING;

	*doc_out = NULL;
	if (length > (size_t)INT32_MAX) {
		diag_error(path, 0, "file is too large");
		return XML_UNREADABLE;
	}
	if (!check_utf8(path, data, length))
		return XML_INVALID;

	parser = xmlNewParserCtxt();
	if (parser == NULL) {
		diag_error(path, 0, "cannot create an XML parser");
		return XML_UNREADABLE;
	}
	parse_sink = &sink;
	parser->sax->internalSubset = refuse_doctype;
	parser->sax->externalSubset = refuse_doctype;
	parser->sax->serror = route_parser_error;
	sink.sax2 = *parser->sax;
	parser->sax->startElementNs = count_element;
	parser->sax->characters = count_characters;
	parser->sax->ignorableWhitespace = count_blanks;
	parser->sax->comment = count_comment;
	parser->sax->processingInstruction = count_pi;
	parser->sax->initialized = XML_SAX2_MAGIC;
	xmlSetStructuredErrorFunc(&sink, route_error);
	/* Read through a callback, not xmlCtxtReadMemory, which would copy
	 * the whole file once more. */
	reader.data = data;
	reader.left = length;
	doc = xmlCtxtReadIO(parser, read_chunk, NULL, &reader, path, "UTF-8",
	                    options);
	xmlSetStructuredErrorFunc(NULL, NULL);
	parse_sink = NULL;
	if (doc != NULL && (!parser->wellFormed || sink.doctype_seen ||
	                    diag_error_count() != errors_before)) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	if (doc == NULL && diag_error_count() == errors_before)
		diag_error(path, 0, "not a well-formed XML document");
	finish_sink(&sink);
	xmlFreeParserCtxt(parser);
	*doc_out = doc;
	return doc != NULL ? XML_OK : XML_INVALID;
}

xmlSchemaPtr xml_schema_load(const char *path)
{
	struct error_sink sink = { .path = path };
	xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(path);
	xmlSchemaPtr schema = NULL;

	if (parser == NULL) {
		diag_error(path, 0, "cannot read the schema");
		return NULL;
	}
	xmlSchemaSetParserStructuredErrors(parser, route_error, &sink);
	/* Loading the file reports through the global handler. */
	xmlSetStructuredErrorFunc(&sink, route_error);
	schema = xmlSchemaParse(parser);
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlSchemaFreeParserCtxt(parser);
	if (schema == NULL)
		diag_error(path, 0, "cannot compile the schema");
	return schema;
}

xml_status xml_validate(xmlSchemaPtr schema, xmlDocPtr doc, const char *path)
{
	struct error_sink sink = { .path = path };
	xmlSchemaValidCtxtPtr validator = xmlSchemaNewValidCtxt(schema);
	int result;

	if (validator == NULL) {
		diag_error(path, 0, "cannot create a schema validator");
		return XML_UNREADABLE;
	}
	xmlSchemaSetValidStructuredErrors(validator, route_error, &sink);
	result = xmlSchemaValidateDoc(validator, doc);
	xmlSchemaFreeValidCtxt(validator);
	finish_sink(&sink);
	if (result != 0 && sink.reported == 0)
		diag_error(path, 0, "does not match the schema");
	return result == 0 ? XML_OK : XML_INVALID;
}
