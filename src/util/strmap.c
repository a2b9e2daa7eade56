/* Open addressing with linear probing; FNV-1a hashes. */
#include "util/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct entry {
	const char *key;        /* a copy, or borrowed */
	void *value;
	uint64_t hash;
};

struct strmap {
	struct entry *slots;
	size_t capacity;       /* power of two */
	size_t count;
	bool borrowing;
};

static uint64_t hash_key(const char *key)
{
	uint64_t hash = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		hash = (hash ^ *p) * 1099511628211ull;
	return hash;
}

strmap *strmap_new(void)
{
	strmap *map = xcalloc(1, sizeof *map);
	map->capacity = 64;
	map->slots = xcalloc(map->capacity, sizeof *map->slots);
	return map;
}

strmap *strmap_new_borrowing(void)
{
	strmap *map = strmap_new();
	map->borrowing = true;
	return map;
}

static void drop_key(const strmap *map, struct entry *slot)
{
	if (!map->borrowing)
		free((char *)slot->key);
	slot->key = NULL;
}

void strmap_clear(strmap *map)
{
	for (size_t i = 0; i < map->capacity; i++)
		if (map->slots[i].key != NULL)
			drop_key(map, &map->slots[i]);
	map->count = 0;
}

void strmap_free(strmap *map)
{
	if (map == NULL)
		return;
	strmap_clear(map);
	free(map->slots);
	free(map);
}

static struct entry *find_slot(struct entry *slots, size_t capacity,
                               const char *key, uint64_t hash)
{
	size_t i = (size_t)hash & (capacity - 1);
	while (slots[i].key != NULL &&
	       (slots[i].hash != hash || strcmp(slots[i].key, key) != 0))
		i = (i + 1) & (capacity - 1);
	return &slots[i];
}

static void grow(strmap *map)
{
	size_t capacity = map->capacity * 2;
	struct entry *slots = xcalloc(capacity, sizeof *slots);

	for (size_t i = 0; i < map->capacity; i++) {
		struct entry *old = &map->slots[i];
		if (old->key != NULL)
			*find_slot(slots, capacity, old->key, old->hash) = *old;
	}
	free(map->slots);
	map->slots = slots;
	map->capacity = capacity;
}

void *strmap_get(const strmap *map, const char *key)
{
	struct entry *slot = find_slot(map->slots, map->capacity, key,
	                               hash_key(key));
	return slot->key != NULL ? slot->value : NULL;
}

void *strmap_put(strmap *map, const char *key, void *value)
{
	uint64_t hash = hash_key(key);
	struct entry *slot;
	void *previous;

	if ((map->count + 1) * 4 > map->capacity * 3)
		grow(map);
	slot = find_slot(map->slots, map->capacity, key, hash);
	if (slot->key != NULL) {
		previous = slot->value;
		slot->value = value;
		if (map->borrowing)
			slot->key = key;
		return previous;
	}
	slot->key = map->borrowing ? key : xstrdup(key);
	slot->hash = hash;
	slot->value = value;
	map->count++;
	return NULL;
}

void *strmap_remove(strmap *map, const char *key)
{
	struct entry *slot = find_slot(map->slots, map->capacity, key,
	                               hash_key(key));
	size_t hole = (size_t)(slot - map->slots), mask = map->capacity - 1;
	void *value = slot->value;

	if (slot->key == NULL)
		return NULL;
	drop_key(map, slot);
	map->count--;
	/* Backward shift: move up every later entry of the probe run that
	 * would no longer be found past the hole. */
	for (size_t i = (hole + 1) & mask; map->slots[i].key != NULL;
	     i = (i + 1) & mask) {
		size_t home = (size_t)map->slots[i].hash & mask;
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			map->slots[hole] = map->slots[i];
			map->slots[i].key = NULL;
			hole = i;
		}
	}
	return value;
}

size_t strmap_count(const strmap *map)
{
	return map->count;
}

void strmap_each(const strmap *map,
                 void (*fn)(const char *key, void *value, void *ctx),
                 void *ctx)
{
	for (size_t i = 0; i < map->capacity; i++)
		if (map->slots[i].key != NULL)
			fn(map->slots[i].key, map->slots[i].value, ctx);
}
