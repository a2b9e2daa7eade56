/* A zip_visitor on its own thread; see zip_relay.h. */
#include "util/zip_relay.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Messages in flight, and how many bytes of chunks one gathers before it
 * is handed over. */
#define SLOTS 4
#define SLOT_BYTES (1u << 20)

typedef enum { MSG_BEGIN, MSG_CHUNK, MSG_END, MSG_QUIT } msg_kind;

typedef struct message {
	msg_kind kind;
	char *name;                 /* MSG_BEGIN */
	unsigned char *bytes;       /* MSG_CHUNK: SLOT_BYTES, or more */
	size_t length, capacity;
} message;

struct zip_relay {
	zip_visitor inner;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	message slots[SLOTS];       /* message n is slots[n % SLOTS] */
	unsigned long sent, done;   /* messages handed over, and handled */
	bool filling;               /* slots[sent % SLOTS] gathers chunks */
	char *why;                  /* the inner visitor's refusal */
	bool failed;
	char *entry;                /* the name the inner begin was given:
	                               it lives as long as its entry */
};

static int inner_call(zip_relay *r, const message *m, char **why)
{
	const zip_visitor *v = &r->inner;

	switch (m->kind) {
	case MSG_BEGIN:
		return v->begin != NULL ? v->begin(v->ctx, r->entry, why) : 0;
	case MSG_CHUNK:
		return v->chunk != NULL
		       ? v->chunk(v->ctx, m->bytes, m->length, why) : 0;
	case MSG_END:
		return v->end != NULL ? v->end(v->ctx, why) : 0;
	case MSG_QUIT:
		break;
	}
	return 0;
}

static void *relay_main(void *arg)
{
	zip_relay *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		message *m;
		bool skip;
		char *why = NULL;
		int status = 0;

		while (r->done == r->sent)
			pthread_cond_wait(&r->changed, &r->lock);
		m = &r->slots[r->done % SLOTS];
		if (m->kind == MSG_QUIT)
			break;
		skip = r->failed;
		if (m->kind == MSG_BEGIN) {
			free(r->entry);
			r->entry = m->name;
			m->name = NULL;
		}
		pthread_mutex_unlock(&r->lock);
		if (!skip)
			status = inner_call(r, m, &why);
		pthread_mutex_lock(&r->lock);
		if (status != 0 && !r->failed) {
			r->failed = true;
			r->why = why != NULL ? why : xstrdup("refused");
		} else
			free(why);
		free(m->name);
		m->name = NULL;
		r->done++;
		pthread_cond_broadcast(&r->changed);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* The next free slot, once the relay has handled what was in it (the
 * lock is held). */
static message *free_slot(zip_relay *r)
{
	while (r->sent - r->done >= SLOTS)
		pthread_cond_wait(&r->changed, &r->lock);
	return &r->slots[r->sent % SLOTS];
}

/* Hands the slot being filled (if any) over (the lock is held). */
static void hand_over(zip_relay *r)
{
	if (!r->filling)
		return;
	r->filling = false;
	r->sent++;
	pthread_cond_broadcast(&r->changed);
}

static void send(zip_relay *r, msg_kind kind, const char *name)
{
	message *m;

	hand_over(r);
	m = free_slot(r);
	m->kind = kind;
	m->name = name != NULL ? xstrdup(name) : NULL;
	m->length = 0;
	r->sent++;
	pthread_cond_broadcast(&r->changed);
}

/* The refusal, handed to the caller once (the lock is held). */
static int refusal(zip_relay *r, char **why)
{
	*why = r->why;
	r->why = NULL;
	if (*why == NULL)
		*why = xstrdup("refused");
	return -1;
}

static int relay_begin(void *ctx, const char *name, char **why)
{
	zip_relay *r = ctx;
	int status = 0;

	pthread_mutex_lock(&r->lock);
	if (r->failed)
		status = refusal(r, why);
	else
		send(r, MSG_BEGIN, name);
	pthread_mutex_unlock(&r->lock);
	return status;
}

static int relay_chunk(void *ctx, const unsigned char *bytes, size_t length,
                       char **why)
{
	zip_relay *r = ctx;
	message *m;
	int status = 0;

	pthread_mutex_lock(&r->lock);
	if (r->failed) {
		status = refusal(r, why);
		goto done;
	}
	if (r->filling && r->slots[r->sent % SLOTS].length + length >
	                  r->slots[r->sent % SLOTS].capacity)
		hand_over(r);
	if (!r->filling) {
		m = free_slot(r);
		m->kind = MSG_CHUNK;
		m->length = 0;
		r->filling = true;
	}
	m = &r->slots[r->sent % SLOTS];
	/* The slot is ours until it is handed over: fill it unlocked. */
	pthread_mutex_unlock(&r->lock);
	if (m->capacity < m->length + length) {     /* only when empty */
		m->capacity = m->length + length > SLOT_BYTES
		              ? m->length + length : SLOT_BYTES;
		m->bytes = xrealloc(m->bytes, m->capacity);
	}
	memcpy(m->bytes + m->length, bytes, length);
	m->length += length;
	return 0;
done:
	pthread_mutex_unlock(&r->lock);
	return status;
}

static int relay_end(void *ctx, char **why)
{
	zip_relay *r = ctx;
	int status = 0;

	pthread_mutex_lock(&r->lock);
	if (!r->failed)
		send(r, MSG_END, NULL);
	while (!r->failed && r->done != r->sent)
		pthread_cond_wait(&r->changed, &r->lock);
	if (r->failed)
		status = refusal(r, why);
	pthread_mutex_unlock(&r->lock);
	return status;
}

zip_relay *zip_relay_start(const zip_visitor *inner, zip_visitor *outer)
{
	zip_relay *r = xcalloc(1, sizeof *r);

	r->inner = *inner;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->changed, NULL);
	if (pthread_create(&r->thread, NULL, relay_main, r) != 0) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->changed);
		free(r);
		return NULL;
	}
	*outer = (zip_visitor){ .ctx = r, .begin = relay_begin,
	                        .chunk = relay_chunk, .end = relay_end };
	return r;
}

void zip_relay_stop(zip_relay *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->filling = false;     /* a half-gathered chunk of a failed read */
	send(r, MSG_QUIT, NULL);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->changed);
	for (size_t i = 0; i < SLOTS; i++) {
		free(r->slots[i].name);
		free(r->slots[i].bytes);
	}
	free(r->why);
	free(r->entry);
	free(r);
}
