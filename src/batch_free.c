/* Releasing and copying the batch model; see batch.h for ownership. */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static void free_strings(char **strings, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(strings[i]);
	free(strings);
}

static char **copy_strings(char *const *strings, size_t count)
{
	char **copy;

	if (count == 0)
		return NULL;
	copy = xcalloc(count, sizeof *copy);
	for (size_t i = 0; i < count; i++)
		copy[i] = xstrdup(strings[i]);
	return copy;
}

static char *copy_optional(const char *text)
{
	return text != NULL ? xstrdup(text) : NULL;
}

void order_fields_free(order_fields *f)
{
	free(f->title);
	free(f->description);
	free(f->executor_name);
	for (size_t i = 0; i < f->resource_count; i++) {
		free(f->resources[i].name);
		free(f->resources[i].unit);
	}
	free(f->resources);
	free_strings(f->deliverables, f->deliverable_count);
	free(f->acceptance);
	free_strings(f->terms.clauses, f->terms.clause_count);
	memset(f, 0, sizeof *f);
}

void order_fields_copy(order_fields *dst, const order_fields *src)
{
	*dst = *src;
	dst->title = copy_optional(src->title);
	dst->description = copy_optional(src->description);
	dst->executor_name = copy_optional(src->executor_name);
	dst->resources = NULL;
	if (src->resource_count > 0) {
		dst->resources = xcalloc(src->resource_count,
		                         sizeof *dst->resources);
		for (size_t i = 0; i < src->resource_count; i++) {
			dst->resources[i] = src->resources[i];
			dst->resources[i].name = xstrdup(src->resources[i].name);
			dst->resources[i].unit = xstrdup(src->resources[i].unit);
		}
	}
	dst->deliverables = copy_strings(src->deliverables,
	                                 src->deliverable_count);
	dst->acceptance = copy_optional(src->acceptance);
	dst->terms.clauses = copy_strings(src->terms.clauses,
	                                  src->terms.clause_count);
}

static void client_free(client *c)
{
	free(c->name);
	free(c->tax_id);
	free(c->email);
	free(c->address);
}

void operation_clear(operation *op)
{
	client_free(&op->client);
	order_fields_free(&op->fields);
	free(op->reason);
	free(op->text);
	free(op->reference);
}

void batch_free(batch *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->op_count; i++)
		operation_clear(&b->ops[i]);
	free(b->ops);
	free(b->path);
	free(b->issued);
	free(b);
}
