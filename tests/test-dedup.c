/* SPDX-License-Identifier: MIT */
/* The de-duplication window on its own: states, reused ids, the time bound, the ring and the
 * byte budget. */
#include "dedup.h"
#include "tests.h"

#define SEC USEC_PER_SEC

static void test_states(void)
{
        _cleanup_(dedup_freep) struct dedup *d = dedup_new(8, 600 * SEC, 64, 1024);
        const char *ans = NULL;

        CHECK(d);
        CHECK_INT(dedup_check(d, "a@x/r", "1", 42, 1 * SEC, &ans), DEDUP_NEW);
        CHECK_INT(dedup_check(d, "a@x/r", "1", 42, 2 * SEC, &ans), DEDUP_PENDING);
        /* Another sender, or another id, is another request. */
        CHECK_INT(dedup_check(d, "a@x/other", "1", 42, 2 * SEC, &ans), DEDUP_NEW);
        CHECK_INT(dedup_check(d, "b@x/r", "1", 42, 2 * SEC, &ans), DEDUP_NEW);
        CHECK_INT(dedup_check(d, "a@x/r", "2", 42, 2 * SEC, &ans), DEDUP_NEW);
        /* (from, id) is not ambiguous: "a@x/r" + "1" differs from "a@x/r1" + "". */
        CHECK_INT(dedup_check(d, "a@x/r1", "", 42, 2 * SEC, &ans), DEDUP_NEW);

        CHECK(dedup_wants_answer(d, "a@x/r", "1", 3 * SEC));
        CHECK(!dedup_wants_answer(d, "a@x/r", "9", 3 * SEC));
        dedup_answer(d, "a@x/r", "1", "<iq id='1'/>", 12, 3 * SEC);
        CHECK(!dedup_wants_answer(d, "a@x/r", "1", 3 * SEC));
        CHECK_INT(dedup_check(d, "a@x/r", "1", 42, 4 * SEC, &ans), DEDUP_ANSWERED);
        CHECK_STREQ(ans, "<iq id='1'/>");
        CHECK_INT(dedup_answer_bytes(d), 12);
        /* A second answer for the same request changes nothing. */
        dedup_answer(d, "a@x/r", "1", "<iq id='other'/>", 16, 4 * SEC);
        CHECK_INT(dedup_check(d, "a@x/r", "1", 42, 4 * SEC, &ans), DEDUP_ANSWERED);
        CHECK_STREQ(ans, "<iq id='1'/>");

        /* Too big to keep: answered, forgotten. */
        dedup_answer(d, "a@x/r", "2",
                     "0123456789012345678901234567890123456789012345678901234567890123456789", 70,
                     5 * SEC);
        CHECK_INT(dedup_check(d, "a@x/r", "2", 42, 5 * SEC, &ans), DEDUP_FORGOTTEN);

        /* The same id with another payload: a new request, recorded in place of the old one. */
        CHECK_INT(dedup_check(d, "a@x/r", "1", 43, 6 * SEC, &ans), DEDUP_NEW);
        CHECK_INT(dedup_check(d, "a@x/r", "1", 43, 6 * SEC, &ans), DEDUP_PENDING);
        CHECK_INT(dedup_answer_bytes(d), 0);
}

static void test_window(void)
{
        _cleanup_(dedup_freep) struct dedup *d = dedup_new(8, 10 * SEC, 64, 1024);
        const char *ans = NULL;

        CHECK_INT(dedup_check(d, "a@x/r", "1", 1, 100 * SEC, &ans), DEDUP_NEW);
        CHECK_INT(dedup_size(d, 105 * SEC), 1);
        CHECK_INT(dedup_check(d, "a@x/r", "1", 1, 109 * SEC, &ans), DEDUP_PENDING);
        /* Out of the window: forgotten, handled as new. */
        CHECK_INT(dedup_size(d, 110 * SEC), 0);
        CHECK(!dedup_wants_answer(d, "a@x/r", "1", 110 * SEC));
        CHECK_INT(dedup_check(d, "a@x/r", "1", 1, 110 * SEC, &ans), DEDUP_NEW);
}

static void test_ring_and_budget(void)
{
        _cleanup_(dedup_freep) struct dedup *d = dedup_new(4, 600 * SEC, 100, 250);
        const char *ans = NULL;
        char id[16], text[101];

        memset(text, 'x', 100);
        text[100] = 0;
        for (int i = 0; i < 10; i++) {
                snprintf(id, sizeof(id), "%d", i);
                CHECK_INT(dedup_check(d, "a@x/r", id, 7, 1 * SEC, &ans), DEDUP_NEW);
                dedup_answer(d, "a@x/r", id, text, 100, 1 * SEC);
                /* Never more entries than the ring, never more bytes than the budget. */
                CHECK(dedup_size(d, 1 * SEC) <= 4);
                CHECK(dedup_answer_bytes(d) <= 250);
        }
        /* The oldest went first: 0-5 are gone (new again), 6 lost its answer to the budget,
         * 8 and 9 are kept. */
        CHECK_INT(dedup_check(d, "a@x/r", "9", 7, 2 * SEC, &ans), DEDUP_ANSWERED);
        CHECK_INT(dedup_check(d, "a@x/r", "8", 7, 2 * SEC, &ans), DEDUP_ANSWERED);
        CHECK_INT(dedup_check(d, "a@x/r", "7", 7, 2 * SEC, &ans), DEDUP_FORGOTTEN);
        CHECK_INT(dedup_check(d, "a@x/r", "0", 7, 2 * SEC, &ans), DEDUP_NEW);
}

static void test_index(void)
{
        /* Entries leave the hash index when the ring overwrites them, whichever bucket chain
         * they share: exactly the last 8 requests are found, never an older one. */
        _cleanup_(dedup_freep) struct dedup *d = dedup_new(8, 600 * SEC, 64, 1024);
        const char *from[] = {"a@x/r", "b@x/r", "c@x/phone"}, *ans = NULL;
        char id[16];

        for (int i = 0; i < 1000; i++) {
                snprintf(id, sizeof(id), "%d", i);
                CHECK_INT(dedup_check(d, from[i % 3], id, 1, 1 * SEC, &ans), DEDUP_NEW);
                for (int k = i; k >= 0 && k > i - 10; k--) {
                        snprintf(id, sizeof(id), "%d", k);
                        if (dedup_wants_answer(d, from[k % 3], id, 1 * SEC) != (k > i - 8))
                                CHECK(!"the index and the ring disagree");
                }
        }
        CHECK_INT(dedup_size(d, 1 * SEC), 8);

        /* A reused id keeps its slot and is indexed once: the other entries are still found and
         * a miss ends. */
        for (int i = 992; i < 1000; i++) {
                snprintf(id, sizeof(id), "%d", i);
                CHECK_INT(dedup_check(d, from[i % 3], id, 2, 2 * SEC, &ans), DEDUP_NEW);
        }
        for (int i = 992; i < 1000; i++) {
                snprintf(id, sizeof(id), "%d", i);
                CHECK_INT(dedup_check(d, from[i % 3], id, 2, 2 * SEC, &ans), DEDUP_PENDING);
        }
        for (int i = 0; i < 100; i++) {
                snprintf(id, sizeof(id), "missing-%d", i);
                CHECK(!dedup_wants_answer(d, from[0], id, 2 * SEC));
        }
        CHECK_INT(dedup_size(d, 2 * SEC), 8);
}

static void test_many(void)
{
        /* The agent's sizes, filled well past capacity: bounded, and clean under valgrind. */
        _cleanup_(dedup_freep) struct dedup *d =
            dedup_new(DEDUP_CAPACITY, DEDUP_WINDOW, DEDUP_MAX_ANSWER, DEDUP_MAX_TOTAL);
        static char big[DEDUP_MAX_ANSWER];
        const char *ans = NULL;
        char id[32];

        memset(big, 'y', sizeof(big) - 1);
        for (int i = 0; i < 5 * DEDUP_CAPACITY; i++) {
                snprintf(id, sizeof(id), "id-%d", i);
                CHECK_INT(dedup_check(d, "flood@x/r", id, 1, (usec_t)i, &ans), DEDUP_NEW);
                dedup_answer(d, "flood@x/r", id, big, sizeof(big) - 1, (usec_t)i);
        }
        CHECK_INT(dedup_size(d, 5 * DEDUP_CAPACITY), DEDUP_CAPACITY);
        CHECK(dedup_answer_bytes(d) <= DEDUP_MAX_TOTAL);
        CHECK(dedup_digest("a", 1) != dedup_digest("b", 1));
        CHECK(!dedup_new(0, 1, 1, 1));
        CHECK(!dedup_free(NULL));
}

int main(void)
{
        test_states();
        test_window();
        test_ring_and_budget();
        test_index();
        test_many();
        return TESTS_RESULT();
}
