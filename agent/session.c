/* SPDX-License-Identifier: MIT */
#include "session.h"

#include <openssl/rand.h>

#include "jid.h"

/* Sessions are kept in an array (for the scans of expiry) and in two hash indexes, by id and by
 * owner's bare JID, each bucket a chain through the sessions themselves: a command costs the
 * same with 10,000 sessions open as with none. A chain can be no longer than the array, so
 * colliding JIDs cost at most the plain scan. */
struct session_table {
        struct session **v;
        size_t n, allocated;
        struct session **by_id, **by_owner;
        size_t buckets; /* a power of two, at least n; 0 before the first session */
        struct session_limits limits;
};

/* Random bytes for session ids, drawn from OpenSSL's generator 32 ids at a time: one
 * RAND_bytes() call costs about as much as 500 more bytes from it. Each byte is handed out
 * once and wiped as it is, so an id is exactly as unpredictable as RAND_bytes() output. The
 * agent creates no session in a forked child (exec's children call execve() at once), so no
 * two processes hand out the same pool. */
#define RANDOM_POOL_BYTES (32 * SESSION_ID_BYTES)

static struct {
        unsigned char b[RANDOM_POOL_BYTES];
        size_t used;
} random_pool = {.used = RANDOM_POOL_BYTES};

static int random_take(unsigned char *out, size_t n)
{
        if (n > sizeof(random_pool.b))
                return -EINVAL;
        if (random_pool.used + n > sizeof(random_pool.b)) {
                if (RAND_bytes(random_pool.b, sizeof(random_pool.b)) != 1)
                        return -EIO;
                random_pool.used = 0;
        }
        memcpy(out, random_pool.b + random_pool.used, n);
        explicit_bzero(random_pool.b + random_pool.used, n);
        random_pool.used += n;
        return 0;
}

struct session_table *session_table_new(void)
{
        struct session_table *t = zalloc(sizeof(*t));

        if (!t)
                return NULL;
        t->limits = (struct session_limits){
            .idle_timeout = 600 * USEC_PER_SEC,
            .max_per_requester = 5,
            .max_total = 200,
        };
        return t;
}

struct session_table *session_table_free(struct session_table *t)
{
        if (!t)
                return NULL;
        while (t->n > 0)
                session_free(t->v[t->n - 1]);
        free(t->v);
        free(t->by_id);
        free(t->by_owner);
        free(t);
        return NULL;
}

static size_t hash_string(const char *s)
{
        uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */

        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= UINT64_C(1099511628211);
        }
        return (size_t)(h ^ (h >> 32));
}

static struct session **id_bucket(const struct session_table *t, const char *id)
{
        return &t->by_id[hash_string(id) & (t->buckets - 1)];
}

static struct session **owner_bucket(const struct session_table *t, const char *bare)
{
        return &t->by_owner[hash_string(bare) & (t->buckets - 1)];
}

static void index_add(struct session_table *t, struct session *s)
{
        struct session **b = id_bucket(t, s->id);

        s->id_next = *b;
        *b = s;
        b = owner_bucket(t, s->owner_bare);
        s->owner_next = *b;
        *b = s;
}

static void index_remove(struct session_table *t, struct session *s)
{
        struct session **p;

        for (p = id_bucket(t, s->id); *p; p = &(*p)->id_next)
                if (*p == s) {
                        *p = s->id_next;
                        break;
                }
        for (p = owner_bucket(t, s->owner_bare); *p; p = &(*p)->owner_next)
                if (*p == s) {
                        *p = s->owner_next;
                        break;
                }
}

/* Makes room for one more session: the array and, rehashed, the indexes double. */
static int table_grow(struct session_table *t)
{
        struct session **v, **by_id, **by_owner;
        size_t n;

        if (t->n < t->allocated)
                return 0;
        n = t->allocated ? 2 * t->allocated : 16;
        v = reallocarray(t->v, n, sizeof(*v));
        if (!v)
                return -ENOMEM;
        t->v = v;
        by_id = calloc(n, sizeof(*by_id));
        by_owner = calloc(n, sizeof(*by_owner));
        if (!by_id || !by_owner) {
                free(by_id);
                free(by_owner);
                return -ENOMEM;
        }
        free(t->by_id);
        free(t->by_owner);
        t->by_id = by_id;
        t->by_owner = by_owner;
        t->buckets = t->allocated = n;
        for (size_t i = 0; i < t->n; i++)
                index_add(t, t->v[i]);
        return 0;
}

void session_table_set_limits(struct session_table *t, const struct session_limits *l)
{
        t->limits = *l;
}

size_t session_table_count(const struct session_table *t)
{
        return t->n;
}

int session_id_generate(char ret[SESSION_ID_BYTES * 2 + 1])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char b[SESSION_ID_BYTES];
        int r = random_take(b, sizeof(b));

        if (r < 0)
                return r;
        for (size_t i = 0; i < sizeof(b); i++) {
                ret[2 * i] = hex[b[i] >> 4];
                ret[2 * i + 1] = hex[b[i] & 15];
        }
        ret[SESSION_ID_BYTES * 2] = 0;
        explicit_bzero(b, sizeof(b));
        return 0;
}

static unsigned session_count_owner(const struct session_table *t, const char *bare)
{
        unsigned n = 0;

        if (t->buckets == 0)
                return 0;
        for (const struct session *s = *owner_bucket(t, bare); s; s = s->owner_next)
                if (streq(s->owner_bare, bare))
                        n++;
        return n;
}

int session_new(struct session_table *t, const char *owner, const char *node, const char *lang,
                usec_t now, struct session **ret)
{
        struct session *s;
        char *bare;
        int r;

        bare = jid_bare(owner);
        if (!bare)
                return -EINVAL;
        if (t->n >= t->limits.max_total) {
                free(bare);
                return -EBUSY;
        }
        if (session_count_owner(t, bare) >= t->limits.max_per_requester) {
                free(bare);
                return -EUSERS;
        }
        s = zalloc(sizeof(*s));
        if (!s) {
                free(bare);
                return -ENOMEM;
        }
        s->owner_bare = bare;
        s->owner = strdup(owner);
        s->node = strdup(node);
        s->lang = strdup_or_null(lang);
        r = session_id_generate(s->id);
        if (r < 0 || !s->owner || !s->node || (lang && !s->lang))
                goto fail;
        /* 128 random bits make a collision practically impossible; check anyway. */
        if (session_find(t, s->id)) {
                r = -EEXIST;
                goto fail;
        }
        r = table_grow(t);
        if (r < 0)
                goto fail;
        s->slot = t->n;
        t->v[t->n++] = s;
        index_add(t, s);
        s->table = t;
        s->created = s->last_used = now;
        *ret = s;
        return 0;
fail:
        session_free(s);
        return r < 0 ? r : -ENOMEM;
}

struct session *session_free(struct session *s)
{
        struct session_table *t;

        if (!s)
                return NULL;
        t = s->table;
        if (t) {
                index_remove(t, s);
                t->v[s->slot] = t->v[--t->n];
                t->v[s->slot]->slot = s->slot;
        }
        free(s->owner);
        free(s->owner_bare);
        free(s->node);
        free(s->lang);
        form_values_done(&s->values);
        form_free(s->form);
        free(s);
        return NULL;
}

struct session *session_find(const struct session_table *t, const char *id)
{
        if (!id || t->buckets == 0)
                return NULL;
        for (struct session *s = *id_bucket(t, id); s; s = s->id_next)
                if (streq(s->id, id))
                        return s;
        return NULL;
}

bool session_is_expired(const struct session *s, usec_t now)
{
        const struct session_table *t = s->table;

        if (s->busy || !t)
                return false;
        return now > s->last_used && now - s->last_used >= t->limits.idle_timeout;
}

size_t session_table_expire(struct session_table *t, usec_t now)
{
        size_t n = 0;

        for (size_t i = t->n; i > 0; i--) {
                if (!session_is_expired(t->v[i - 1], now))
                        continue;
                session_free(t->v[i - 1]);
                n++;
        }
        return n;
}

void session_table_foreach(struct session_table *t, void (*fn)(struct session *s, void *ud),
                           void *ud)
{
        for (size_t i = t->n; i > 0; i--)
                if (i <= t->n)
                        fn(t->v[i - 1], ud);
}

usec_t session_table_next_expiry(const struct session_table *t)
{
        usec_t next = USEC_INFINITY;

        for (size_t i = 0; i < t->n; i++) {
                usec_t e = t->v[i]->last_used + t->limits.idle_timeout;
                if (!t->v[i]->busy && e < next)
                        next = e;
        }
        return next;
}
