/* json_out: exact bytes for nesting, escaping and numbers. */
#include <stdint.h>

#include "tap.h"
#include "util/json_out.h"

int main(void)
{
	json_out j = { 0 };

	plan(2);
	json_object_begin(&j, NULL);
	json_string(&j, "file", "a \"b\"\\c\n\x01");
	json_int(&j, "min", INT64_MIN);
	json_seconds(&j, "time", 1.23456);
	json_array_begin(&j, "empty");
	json_array_end(&j);
	json_array_begin(&j, "list");
	json_object_begin(&j, NULL);
	json_bool(&j, "ok", true);
	json_string(&j, "none", NULL);
	json_object_end(&j);
	json_array_end(&j);
	json_object_end(&j);
	is_string("{\n"
	          "  \"file\": \"a \\\"b\\\"\\\\c\\n\\u0001\",\n"
	          "  \"min\": -9223372036854775808,\n"
	          "  \"time\": 1.235,\n"
	          "  \"empty\": [],\n"
	          "  \"list\": [\n"
	          "    {\n"
	          "      \"ok\": true,\n"
	          "      \"none\": null\n"
	          "    }\n"
	          "  ]\n"
	          "}\n", j.data, "nested output");
	json_free(&j);
	json_string(&j, NULL, "Кириллица");
	is_string("\"Кириллица\"", j.data, "UTF-8 passes through");
	json_free(&j);
	return tap_done();
}
