/* SPDX-License-Identifier: MIT */
/* The de-duplication window: a fixed ring of entries, the oldest overwritten first. Lookups
 * compare a 64-bit hash of (from, id) before the strings; with at most DEDUP_CAPACITY entries
 * a scan of the hashes costs about a microsecond, so no index is needed. */
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
};

struct dedup {
        struct dedup_entry *entries;
        size_t capacity, next; /* next: the slot written next (the oldest once full) */
        usec_t window;
        size_t max_answer, max_total, total;
};

uint64_t dedup_digest(const void *p, size_t n)
{
        /* FNV-1a: a resend is byte-identical, so any stable hash tells it from another
         * request. A requester could only make its own two requests collide. */
        const unsigned char *s = p;
        uint64_t h = UINT64_C(14695981039346656037);

        for (size_t i = 0; i < n; i++) {
                h ^= s[i];
                h *= UINT64_C(1099511628211);
        }
        return h;
}

static uint64_t key_of(const char *from, const char *id)
{
        size_t lf = strlen(from), li = strlen(id);
        uint64_t h = dedup_digest(from, lf + 1); /* the NUL separates from and id */

        for (size_t i = 0; i < li; i++) {
                h ^= (unsigned char)id[i];
                h *= UINT64_C(1099511628211);
        }
        return h;
}

static void entry_forget_answer(struct dedup *d, struct dedup_entry *e)
{
        d->total -= e->answer_len;
        free(e->answer);
        e->answer = NULL;
        e->answer_len = 0;
}

static void entry_clear(struct dedup *d, struct dedup_entry *e)
{
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
        d->entries = calloc(capacity, sizeof(*d->entries));
        if (!d->entries) {
                free(d);
                return NULL;
        }
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
        for (size_t i = 0; i < d->capacity; i++)
                entry_clear(d, &d->entries[i]);
        free(d->entries);
        free(d);
        return NULL;
}

static bool entry_live(const struct dedup *d, const struct dedup_entry *e, usec_t now)
{
        return e->from && now - e->when < d->window;
}

static struct dedup_entry *find(struct dedup *d, const char *from, const char *id, usec_t now)
{
        uint64_t key = key_of(from, id);

        for (size_t i = 0; i < d->capacity; i++) {
                struct dedup_entry *e = &d->entries[i];
                if (e->key == key && entry_live(d, e, now) && streq(e->from, from) &&
                    streq(e->id, id))
                        return e;
        }
        return NULL;
}

int dedup_check(struct dedup *d, const char *from, const char *id, uint64_t digest, usec_t now,
                const char **ret_answer)
{
        struct dedup_entry *e = find(d, from, id, now);
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
        *e = (struct dedup_entry){
            .key = key_of(from, id), .digest = digest, .from = f, .id = i, .when = now};
        return DEDUP_NEW;
}

bool dedup_wants_answer(struct dedup *d, const char *to, const char *id, usec_t now)
{
        struct dedup_entry *e = find(d, to, id, now);

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
        struct dedup_entry *e = find(d, to, id, now);

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
