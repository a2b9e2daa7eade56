/* Reading untrusted XML with libxml2, safely: the file is read whole (it is
 * hashed anyway), checked to be UTF-8 without NUL bytes, and parsed with no
 * network, no DTD loading, no entity substitution and no XInclude.  Any
 * <!DOCTYPE> is refused as soon as the parser meets it, before its internal
 * subset is read.  libxml2's structured errors are routed to diag. */
#ifndef MANDATE_XML_SAFE_H
#define MANDATE_XML_SAFE_H

#include <stddef.h>

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

/* Largest batch file we read, in bytes. */
#define XML_SAFE_MAX_FILE ((size_t)1 << 30)
/* Most nodes (elements, attributes, namespace declarations, text nodes,
 * comments, processing instructions) the tree of one file may hold: the
 * tree costs 100 to 300 bytes a node, so this bounds a parse's memory to
 * a few GiB whatever the file.  A 1,000,000-operation batch is about 11 M. */
#define XML_SAFE_MAX_NODES ((size_t)1 << 24)
/* The budget in force: XML_SAFE_MAX_NODES unless a test lowers it. */
extern size_t xml_safe_max_nodes;
/* Most libxml2 errors reported per file; the rest are counted. */
#define XML_SAFE_MAX_ERRORS 50

typedef enum xml_status {
	XML_OK = 0,
	XML_INVALID = 1,       /* reported with file:line */
	XML_UNREADABLE = 4     /* cannot be read: I/O error, too large */
} xml_status;

/* A whole file, mapped read-only (not NUL-terminated). */
typedef struct xml_file {
	const char *data;
	size_t length;
} xml_file;

/* Maps a whole file; release with xml_file_close. */
xml_status xml_read_file(const char *path, xml_file *file);
void xml_file_close(xml_file *file);

/* Parses data (from path, for messages).  On success *doc is owned by the
 * caller (xmlFreeDoc). */
xml_status xml_parse_untrusted(const char *path, const char *data,
                               size_t length, xmlDocPtr *doc);

/* Compiles an XSD from a trusted path once. NULL (reported) on failure. */
xmlSchemaPtr xml_schema_load(const char *path);
/* Validates doc against schema, every error reported as file:line. */
xml_status xml_validate(xmlSchemaPtr schema, xmlDocPtr doc, const char *path);

#endif
