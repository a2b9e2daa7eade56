/* The names of the enumerations, as written in the XML and the ledger. */
#include "batch.h"

#include <string.h>

static const char *const op_names[OP_KIND_COUNT] = {
	"order", "amend", "advance", "progress", "cost", "payment",
	"complete", "evaluate", "cancel"
};
static const char *const stage_names[STAGE_COUNT] = {
	"identification", "planning", "agreement", "fixation", "execution",
	"evaluation", "closed", "cancelled"
};
static const char *const kind_names[ORDER_KIND_COUNT] = {
	"financial", "legal", "construction", "marketing", "logistics", "other"
};
static const char *const priority_names[PRIORITY_COUNT] = {
	"low", "normal", "high", "urgent"
};
static const char *const confidentiality_names[CONF_COUNT] = {
	"public", "internal", "confidential", "secret"
};
static const char *const cost_kind_names[COST_KIND_COUNT] = {
	"staff", "material", "technology", "other"
};
static const char *const language_names[LANG_COUNT] = { "ru", "en" };
static const char *const field_names[FIELD_COUNT] = {
	"title", "description", "executor", "start", "due", "price",
	"resources", "result", "terms"
};

static int find(const char *const *names, int count, const char *name)
{
	for (int i = 0; i < count; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

#define NAME_PAIR(type, table, count, to_name, from_name)              \
	const char *to_name(type value)                                \
	{                                                              \
		return (int)value >= 0 && (int)value < (count)         \
		       ? table[value] : "?";                           \
	}                                                              \
	int from_name(const char *name)                                \
	{                                                              \
		return find(table, (count), name);                     \
	}

NAME_PAIR(op_kind, op_names, OP_KIND_COUNT, op_kind_name, op_kind_from_name)
NAME_PAIR(stage, stage_names, STAGE_COUNT, stage_name, stage_from_name)
NAME_PAIR(order_kind, kind_names, ORDER_KIND_COUNT, order_kind_name,
          order_kind_from_name)
NAME_PAIR(priority, priority_names, PRIORITY_COUNT, priority_name,
          priority_from_name)
NAME_PAIR(confidentiality, confidentiality_names, CONF_COUNT,
          confidentiality_name, confidentiality_from_name)
NAME_PAIR(cost_kind, cost_kind_names, COST_KIND_COUNT, cost_kind_name,
          cost_kind_from_name)
NAME_PAIR(language, language_names, LANG_COUNT, language_name,
          language_from_name)

const char *field_name(unsigned field_bit)
{
	for (int i = 0; i < FIELD_COUNT; i++)
		if (field_bit == 1u << i)
			return field_names[i];
	return "?";
}
