/* batch_read: XML → struct batch, every field of an order. */
#include <stdlib.h>
#include <string.h>

#include "batch_read.h"
#include "tap.h"
#include "util/diag.h"

static void check_order(const operation *op)
{
	const order_fields *f = &op->fields;
	char day[11];

	is_int(OP_ORDER, op->kind, "first op is an order");
	is_string("F-1", op->order_id, "order id");
	is_int(PRIORITY_URGENT, op->priority, "priority");
	is_string("C-ru", op->client.id, "client id");
	is_int(LANG_RU, op->client.lang, "client language");
	is_string("ООО «Ромашка»", op->client.name, "Cyrillic name kept");
	is_string("Москва, ул. Тверская, д. 1", op->client.address,
	          "white space folded");
	is_int(KIND_CONSTRUCTION, op->order_kind, "kind");
	is_string("Проект склада", f->title, "title folded over lines");
	date_format(op->on, day);
	is_string("2026-11-02", day, "received");
	is_string("E-7", f->executor_id, "executor id");
	is_string("Иван Петров", f->executor_name, "executor name");
	is_int(15000050, f->price, "price in kopecks");
	is_string("RUB", f->currency, "currency");
	is_int(FIELD_ALL, f->present, "every field present");
	is_int(2, (long long)f->resource_count, "two resources");
	is_int(12500, f->resources[0].quantity, "quantity 12.5 in thousandths");
	is_int(300000, f->resources[0].unit_cost, "unit cost");
	is_int(COST_TECHNOLOGY, f->resources[1].kind, "resource kind");
	is_int(2, (long long)f->deliverable_count, "two deliverables");
	is_string("Signed by the client", f->acceptance, "acceptance");
	ok(f->terms.has_penalty, "penalty present");
	is_int(1000, f->terms.penalty_rate_per_day, "rate 0.1%% scaled");
	is_int(100000, f->terms.penalty_cap, "cap 10%% scaled");
	is_int(CONF_SECRET, f->terms.confidentiality, "secret");
	is_int(2, (long long)f->terms.clause_count, "two clauses");
	is_int(4, op->line, "order keeps its line");
}

static void check_others(const batch *b)
{
	const operation *amend = &b->ops[1], *cost = &b->ops[4];

	is_int(OP_AMEND, amend->kind, "amend");
	is_int(FIELD_DUE | FIELD_PRICE, amend->fields.present,
	       "amend carries due and price only");
	is_int(16000000, amend->fields.price, "amended price");
	is_string("Client asked", amend->reason, "amend reason");
	is_int(STAGE_PLANNING, b->ops[2].stage, "advance stage");
	is_int(10, b->ops[3].percent, "progress percent");
	is_int(COST_MATERIAL, cost->cost_kind, "cost kind");
	is_int(120000, cost->amount, "cost amount");
	is_string("Paper", cost->text, "cost note");
	is_string("PP-17", b->ops[5].reference, "payment reference");
	is_int(OP_CANCEL, b->ops[6].kind, "cancel");
	is_int(44, b->ops[6].line, "cancel keeps its line");
}

int main(void)
{
	char *schema = test_src_path("schemas/orders.xsd");
	char *path = test_data_path("batch/full-order.xml");
	char *missing = test_data_path("batch/no-such-file.xml");
	batch_reader *reader;
	batch *b = NULL;
	FILE *sink = tmpfile();

	plan(46);
	diag_set_stream(sink);
	reader = batch_reader_new(schema);
	ok(reader != NULL, "schema compiles");
	if (reader == NULL)
		bail("cannot load %s", schema);
	is_int(BATCH_READ_OK, batch_read_file(reader, path, &b), "reads");
	if (b == NULL)
		bail("no batch");
	is_string("full-1", b->id, "batch id");
	is_int(7, (long long)b->op_count, "seven operations");
	ok(b->sha256[0] != 0 || b->sha256[1] != 0, "file hash kept");
	check_order(&b->ops[0]);
	check_others(b);
	batch_free(b);
	is_int(BATCH_READ_UNREADABLE, batch_read_file(reader, missing, &b),
	       "missing file is unreadable");
	ok(b == NULL, "no batch for a missing file");
	batch_reader_free(reader);
	fclose(sink);
	free(schema);
	free(path);
	free(missing);
	return tap_done();
}
