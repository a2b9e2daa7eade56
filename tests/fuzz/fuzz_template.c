/* Fuzz target: bytes as a document template → safe parse, validation
 * against schemas/template.xsd and compilation (doc_template_load). */
#include <stdlib.h>

#include "doc_template.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path;

	fuzz_setup();
	fuzz_reset();
	path = fuzz_write_file("template.xml", data, size);
	doc_template_free(doc_template_load(path, NULL));
	free(path);
	return 0;
}
