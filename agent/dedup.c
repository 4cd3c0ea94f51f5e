/* SPDX-License-Identifier: MIT */
/* The de-duplication window: a fixed ring of entries, the oldest overwritten first, and a hash
 * index over them: each entry is chained in the bucket of its 64-bit hash of (from, id), so a
 * lookup compares a handful of hashes (then the strings) instead of the whole ring, twice per
 * command. Chains are bounded by the ring: colliding ids cost at most the old full scan. */
#include "dedup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct dedup_entry {
        uint64_t key;    /* dedup_digest of from '\0' id */
        uint64_t digest; /* of the payload */
        char *from, *id;
        char *answer; /* NULL: not answered yet, or forgotten */
        size_t answer_len;
        bool answered;
        usec_t when;
        size_t chain; /* the next entry in the same bucket, as index + 1; 0 ends the chain */
};

struct dedup {
        struct dedup_entry *entries;
        size_t capacity, next; /* next: the slot written next (the oldest once full) */
        size_t *buckets;       /* the first entry of each bucket, as index + 1; 0: empty */
        size_t bucket_mask;    /* buckets: a power of two, at least twice the capacity */
        usec_t window;
        size_t max_answer, max_total, total;
};

uint64_t dedup_digest_add(uint64_t h, const void *p, size_t n)
{
        /* FNV-1a: a resend is identical, so any stable hash tells it from another request.
         * A requester could only make its own two requests collide. */
        const unsigned char *s = p;

        for (size_t i = 0; i < n; i++) {
                h ^= s[i];
                h *= UINT64_C(1099511628211);
        }
        return h;
}

uint64_t dedup_digest(const void *p, size_t n)
{
        return dedup_digest_add(DEDUP_DIGEST_INIT, p, n);
}

static uint64_t key_of(const char *from, const char *id)
{
        /* The NUL separates from and id. */
        return dedup_digest_add(dedup_digest(from, strlen(from) + 1), id, strlen(id));
}

static void entry_forget_answer(struct dedup *d, struct dedup_entry *e)
{
        d->total -= e->answer_len;
        free(e->answer);
        e->answer = NULL;
        e->answer_len = 0;
}

static size_t *bucket_of(struct dedup *d, uint64_t key)
{
        return &d->buckets[key & d->bucket_mask];
}

static void index_add(struct dedup *d, struct dedup_entry *e)
{
        size_t *head = bucket_of(d, e->key);

        e->chain = *head;
        *head = (size_t)(e - d->entries) + 1;
}

static void index_remove(struct dedup *d, struct dedup_entry *e)
{
        size_t self = (size_t)(e - d->entries) + 1;

        for (size_t *link = bucket_of(d, e->key); *link; link = &d->entries[*link - 1].chain)
                if (*link == self) {
                        *link = e->chain;
                        return;
                }
}

static void entry_clear(struct dedup *d, struct dedup_entry *e)
{
        if (e->from)
                index_remove(d, e);
        entry_forget_answer(d, e);
        free(e->from);
        free(e->id);
        *e = (struct dedup_entry){0};
}

struct dedup *dedup_new(size_t capacity, usec_t window, size_t max_answer, size_t max_total)
{
        struct dedup *d;

        if (capacity == 0)
                return NULL;
        d = zalloc(sizeof(*d));
        if (!d)
                return NULL;
        d->bucket_mask = 1;
        while (d->bucket_mask < 2 * capacity - 1)
                d->bucket_mask = (d->bucket_mask << 1) | 1;
        d->entries = calloc(capacity, sizeof(*d->entries));
        d->buckets = calloc(d->bucket_mask + 1, sizeof(*d->buckets));
        if (!d->entries || !d->buckets)
                return dedup_free(d);
        d->capacity = capacity;
        d->window = window;
        d->max_answer = max_answer;
        d->max_total = max_total;
        return d;
}

struct dedup *dedup_free(struct dedup *d)
{
        if (!d)
                return NULL;
        for (size_t i = 0; d->entries && i < d->capacity; i++)
                entry_clear(d, &d->entries[i]);
        free(d->entries);
        free(d->buckets);
        free(d);
        return NULL;
}

static bool entry_live(const struct dedup *d, const struct dedup_entry *e, usec_t now)
{
        return e->from && now - e->when < d->window;
}

static struct dedup_entry *find(struct dedup *d, uint64_t key, const char *from, const char *id,
                                usec_t now)
{
        for (size_t i = *bucket_of(d, key); i; i = d->entries[i - 1].chain) {
                struct dedup_entry *e = &d->entries[i - 1];
                if (e->key == key && entry_live(d, e, now) && streq(e->from, from) &&
                    streq(e->id, id))
                        return e;
        }
        return NULL;
}

int dedup_check(struct dedup *d, const char *from, const char *id, uint64_t digest, usec_t now,
                const char **ret_answer)
{
        uint64_t key = key_of(from, id);
        struct dedup_entry *e = find(d, key, from, id, now);
        char *f, *i;

        if (e && e->digest == digest) {
                if (!e->answered)
                        return DEDUP_PENDING;
                if (!e->answer)
                        return DEDUP_FORGOTTEN;
                *ret_answer = e->answer;
                return DEDUP_ANSWERED;
        }
        f = strdup(from);
        i = strdup(id);
        if (!f || !i) {
                free(f);
                free(i);
                return -ENOMEM;
        }
        if (!e) { /* the oldest slot; a reused id keeps its slot */
                e = &d->entries[d->next];
                d->next = (d->next + 1) % d->capacity;
        }
        entry_clear(d, e);
        *e = (struct dedup_entry){.key = key, .digest = digest, .from = f, .id = i, .when = now};
        index_add(d, e);
        return DEDUP_NEW;
}

bool dedup_wants_answer(struct dedup *d, const char *to, const char *id, usec_t now)
{
        struct dedup_entry *e = find(d, key_of(to, id), to, id, now);

        return e && !e->answered;
}

/* Makes room for n more bytes of answers, forgetting the oldest answers first. */
static void make_room(struct dedup *d, size_t n)
{
        for (size_t k = 0; k < d->capacity && d->total + n > d->max_total; k++) {
                struct dedup_entry *e = &d->entries[(d->next + k) % d->capacity];
                if (e->answer)
                        entry_forget_answer(d, e);
        }
}

void dedup_answer(struct dedup *d, const char *to, const char *id, const char *text, size_t n,
                  usec_t now)
{
        struct dedup_entry *e = find(d, key_of(to, id), to, id, now);

        if (!e || e->answered)
                return;
        e->answered = true;
        if (n > d->max_answer || n > d->max_total)
                return;
        make_room(d, n);
        e->answer = malloc(n + 1);
        if (!e->answer)
                return;
        memcpy(e->answer, text, n);
        e->answer[n] = 0;
        e->answer_len = n;
        d->total += n;
}

size_t dedup_size(const struct dedup *d, usec_t now)
{
        size_t n = 0;

        for (size_t i = 0; i < d->capacity; i++)
                n += entry_live(d, &d->entries[i], now);
        return n;
}

size_t dedup_answer_bytes(const struct dedup *d)
{
        return d->total;
}
