/* Reader threads; see read_ahead.h. */
#include "read_ahead.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/diag.h"
#include "util/xalloc.h"

struct slot {
	bool ready;
	batch_read_status status;
	batch *batch;
	diag_deferred *messages;
};

struct read_ahead {
	batch_reader *reader;
	char *const *paths;
	size_t count;
	struct slot *slots;          /* one per file */
	size_t next_to_read;         /* next file a thread will take */
	size_t next_to_take;         /* next file the caller will take */
	size_t window;               /* files read ahead at most */
	bool stopping;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	pthread_t *threads;
	unsigned thread_count;
	batch **recycled;            /* batches to free on a reader thread */
	size_t recycled_count, recycled_capacity;
};

unsigned read_ahead_default_threads(void)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	return online > 0 ? (unsigned)online : 1;
}

static void read_one(read_ahead *ra, size_t index, struct slot *out)
{
	diag_defer_begin();
	out->status = batch_read_file(ra->reader, ra->paths[index], &out->batch);
	out->messages = diag_defer_end();
}

/* Takes the recycled batches (called with the lock held). */
static batch **take_recycled(read_ahead *ra, size_t *count)
{
	batch **list = ra->recycled;

	*count = ra->recycled_count;
	ra->recycled = NULL;
	ra->recycled_count = ra->recycled_capacity = 0;
	return list;
}

static void free_batches(batch **list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		batch_free(list[i]);
	free(list);
}

static void *reader_thread(void *arg)
{
	read_ahead *ra = arg;

	pthread_mutex_lock(&ra->lock);
	for (;;) {
		size_t index, garbage_count;
		struct slot result = { 0 };
		batch **garbage;

		if (ra->recycled_count > 0) {
			garbage = take_recycled(ra, &garbage_count);
			pthread_mutex_unlock(&ra->lock);
			free_batches(garbage, garbage_count);
			pthread_mutex_lock(&ra->lock);
			continue;
		}

		while (!ra->stopping && ra->next_to_read < ra->count &&
		       ra->next_to_read >= ra->next_to_take + ra->window &&
		       ra->recycled_count == 0)
			pthread_cond_wait(&ra->changed, &ra->lock);
		if (ra->recycled_count > 0 && !ra->stopping)
			continue;
		if (ra->stopping || ra->next_to_read >= ra->count)
			break;
		index = ra->next_to_read++;
		pthread_mutex_unlock(&ra->lock);
		read_one(ra, index, &result);
		pthread_mutex_lock(&ra->lock);
		result.ready = true;
		ra->slots[index] = result;
		pthread_cond_broadcast(&ra->changed);
	}
	pthread_mutex_unlock(&ra->lock);
	return NULL;
}

read_ahead *read_ahead_start(batch_reader *reader, char *const *paths,
                             size_t count, unsigned threads)
{
	read_ahead *ra = xcalloc(1, sizeof *ra);

	ra->reader = reader;
	ra->paths = paths;
	ra->count = count;
	ra->slots = xcalloc(count + 1, sizeof *ra->slots);
	ra->window = threads + 1;
	pthread_mutex_init(&ra->lock, NULL);
	pthread_cond_init(&ra->changed, NULL);
	if (threads <= 1 || count <= 1)
		return ra;
	ra->threads = xcalloc(threads, sizeof *ra->threads);
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&ra->threads[i], NULL, reader_thread, ra) != 0)
			break;     /* fewer threads; the caller reads the rest */
		ra->thread_count++;
	}
	return ra;
}

batch_read_status read_ahead_next(read_ahead *ra, batch **out)
{
	struct slot *slot;
	size_t index;

	pthread_mutex_lock(&ra->lock);
	index = ra->next_to_take;
	if (ra->thread_count == 0 || index >= ra->next_to_read) {
		/* No thread has it: read it here (claiming it first). */
		if (ra->next_to_read == index)
			ra->next_to_read++;
		pthread_mutex_unlock(&ra->lock);
		if (!ra->slots[index].ready) {
			read_one(ra, index, &ra->slots[index]);
			ra->slots[index].ready = true;
		}
		pthread_mutex_lock(&ra->lock);
	}
	while (!ra->slots[index].ready)
		pthread_cond_wait(&ra->changed, &ra->lock);
	slot = &ra->slots[index];
	ra->next_to_take++;
	pthread_cond_broadcast(&ra->changed);
	pthread_mutex_unlock(&ra->lock);

	diag_replay(slot->messages);
	slot->messages = NULL;
	*out = slot->batch;
	slot->batch = NULL;
	return slot->status;
}

void read_ahead_recycle(read_ahead *ra, batch *b)
{
	if (b == NULL)
		return;
	if (ra->thread_count == 0) {
		batch_free(b);
		return;
	}
	pthread_mutex_lock(&ra->lock);
	ra->recycled = xgrow(ra->recycled, &ra->recycled_capacity,
	                     ra->recycled_count + 1, sizeof *ra->recycled);
	ra->recycled[ra->recycled_count++] = b;
	pthread_cond_broadcast(&ra->changed);
	pthread_mutex_unlock(&ra->lock);
}

void read_ahead_stop(read_ahead *ra)
{
	batch **garbage;
	size_t garbage_count;

	if (ra == NULL)
		return;
	pthread_mutex_lock(&ra->lock);
	ra->stopping = true;
	pthread_cond_broadcast(&ra->changed);
	pthread_mutex_unlock(&ra->lock);
	for (unsigned i = 0; i < ra->thread_count; i++)
		pthread_join(ra->threads[i], NULL);
	garbage = take_recycled(ra, &garbage_count);
	free_batches(garbage, garbage_count);
	for (size_t i = 0; i < ra->count; i++) {
		batch_free(ra->slots[i].batch);
		if (ra->slots[i].messages != NULL)
			diag_replay_discard(ra->slots[i].messages);
	}
	pthread_mutex_destroy(&ra->lock);
	pthread_cond_destroy(&ra->changed);
	free(ra->threads);
	free(ra->slots);
	free(ra);
}
