/* SPDX-License-Identifier: MIT */
#include "session.h"
#include "tests.h"

static void test_ids(void)
{
        char a[SESSION_ID_BYTES * 2 + 1], b[SESSION_ID_BYTES * 2 + 1];

        CHECK_INT(session_id_generate(a), 0);
        CHECK_INT(session_id_generate(b), 0);
        CHECK_INT(strlen(a), 32);
        CHECK(strspn(a, "0123456789abcdef") == 32);
        CHECK(strcmp(a, b) != 0);
}

static void test_limits(void)
{
        struct session_table *t = session_table_new();
        struct session *s[4] = {0}, *x = NULL;

        session_table_set_limits(t, &(struct session_limits){
                                        .idle_timeout = 10 * USEC_PER_SEC,
                                        .max_per_requester = 2,
                                        .max_total = 3,
                                    });
        CHECK_INT(session_new(t, "alice@example.test/phone", "n", "en", 1, &s[0]), 0);
        /* The per-requester limit counts every resource of the bare JID. */
        CHECK_INT(session_new(t, "alice@example.test/laptop", "n", NULL, 1, &s[1]), 0);
        CHECK_INT(session_new(t, "alice@example.test/phone", "n", NULL, 1, &x), -EUSERS);
        CHECK(x == NULL);
        CHECK_INT(session_new(t, "bob@example.test/a", "n", NULL, 1, &s[2]), 0);
        CHECK_INT(session_new(t, "carol@example.test/a", "n", NULL, 1, &x), -EBUSY);
        CHECK_INT(session_table_count(t), 3);
        CHECK(session_find(t, s[1]->id) == s[1]);
        CHECK_STREQ(s[0]->owner, "alice@example.test/phone");
        CHECK_STREQ(s[0]->owner_bare, "alice@example.test");
        CHECK_STREQ(s[0]->lang, "en");
        CHECK(s[1]->lang == NULL);
        session_free(s[1]);
        CHECK(session_find(t, s[0]->id) == s[0]);
        CHECK_INT(session_table_count(t), 2);
        CHECK_INT(session_new(t, "alice@example.test/x", "n", NULL, 1, &s[3]), 0);
        CHECK_INT(session_new(t, "not a jid@", "n", NULL, 1, &x), -EINVAL);
        session_table_free(t);
}

static void test_expiry(void)
{
        struct session_table *t = session_table_new();
        struct session *a, *b;
        const usec_t T = 5 * USEC_PER_SEC;

        session_table_set_limits(
            t,
            &(struct session_limits){.idle_timeout = T, .max_per_requester = 5, .max_total = 10});
        CHECK_INT(session_new(t, "a@example.test/r", "n", NULL, 100, &a), 0);
        CHECK_INT(session_new(t, "b@example.test/r", "n", NULL, 200, &b), 0);
        CHECK_INT(session_table_next_expiry(t), 100 + T);
        CHECK(!session_is_expired(a, 100 + T - 1));
        CHECK(session_is_expired(a, 100 + T));
        /* A busy session never expires under a running action. */
        a->busy = (void *)1;
        CHECK_INT(session_table_expire(t, 1000 + T), 1);
        CHECK(session_find(t, a->id) == a);
        CHECK_INT(session_table_next_expiry(t), USEC_INFINITY);
        a->busy = NULL;
        CHECK_INT(session_table_expire(t, 1000 + T), 1);
        CHECK_INT(session_table_count(t), 0);
        CHECK_INT(session_table_next_expiry(t), USEC_INFINITY);
        session_table_free(t);
}

static void test_index(void)
{
        /* Sessions freed in any order, across several growths of the table: every one left is
         * found by its id, none of the freed, and the per-requester counts stay right. */
        struct session_table *t = session_table_new();
        enum { N = 300, OWNERS = 7 };
        struct session *s[N];
        char owner[64], gone[N][SESSION_ID_BYTES * 2 + 1];
        struct session *x;

        session_table_set_limits(t, &(struct session_limits){.idle_timeout = USEC_PER_SEC,
                                                             .max_per_requester = N,
                                                             .max_total = N});
        for (int i = 0; i < N; i++) {
                snprintf(owner, sizeof(owner), "u%d@example.test/r%d", i % OWNERS, i);
                CHECK_INT(session_new(t, owner, "n", NULL, 1, &s[i]), 0);
        }
        for (int i = 0; i < N; i++)
                if (i % 3 != 1) {
                        memcpy(gone[i], s[i]->id, sizeof(gone[i]));
                        session_free(s[i]);
                        s[i] = NULL;
                }
        CHECK_INT(session_table_count(t), N / 3);
        for (int i = 0; i < N; i++) {
                if (s[i])
                        CHECK(session_find(t, s[i]->id) == s[i]);
                else
                        CHECK(session_find(t, gone[i]) == NULL);
        }
        /* Each requester's limit is reached exactly at the sessions it has left. */
        for (int i = 0; i < N; i++)
                if (s[i]) {
                        unsigned mine = 0;
                        for (int k = 0; k < N; k++)
                                mine += s[k] && streq(s[k]->owner_bare, s[i]->owner_bare);
                        session_table_set_limits(
                            t, &(struct session_limits){.idle_timeout = USEC_PER_SEC,
                                                        .max_per_requester = mine,
                                                        .max_total = N});
                        CHECK_INT(session_new(t, s[i]->owner, "n", NULL, 1, &x), -EUSERS);
                        session_table_set_limits(
                            t, &(struct session_limits){.idle_timeout = USEC_PER_SEC,
                                                        .max_per_requester = mine + 1,
                                                        .max_total = N});
                        CHECK_INT(session_new(t, s[i]->owner, "n", NULL, 1, &x), 0);
                        session_free(x);
                }
        session_table_free(t);
}

int main(void)
{
        test_ids();
        test_limits();
        test_expiry();
        test_index();
        return TESTS_RESULT();
}
