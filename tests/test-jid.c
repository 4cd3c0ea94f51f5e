/* SPDX-License-Identifier: MIT */
#include "jid.h"
#include "tests.h"

static void test_parse(void)
{
        struct jid j = {};

        CHECK_INT(jid_parse("Juliet@Example.COM/Balcony", &j), 0);
        CHECK_STREQ(j.local, "Juliet");
        CHECK_STREQ(j.domain, "example.com");
        CHECK_STREQ(j.resource, "Balcony");
        jid_done(&j);
        CHECK(!j.local && !j.domain && !j.resource);

        CHECK_INT(jid_parse("example.com", &j), 0);
        CHECK(!j.local);
        CHECK_STREQ(j.domain, "example.com");
        CHECK(!j.resource);
        jid_done(&j);

        /* The resource starts at the first '/', and may contain '/' and '@'. */
        CHECK_INT(jid_parse("a@b.org/c/d@e", &j), 0);
        CHECK_STREQ(j.local, "a");
        CHECK_STREQ(j.domain, "b.org");
        CHECK_STREQ(j.resource, "c/d@e");
        jid_done(&j);

        CHECK_INT(jid_parse("b.org/x@y", &j), 0);
        CHECK(!j.local);
        CHECK_STREQ(j.resource, "x@y");
        jid_done(&j);

        /* Trailing dot stripped; IP literals. */
        CHECK_INT(jid_parse("user@EXAMPLE.org.", &j), 0);
        CHECK_STREQ(j.domain, "example.org");
        jid_done(&j);
        CHECK_INT(jid_parse("user@[::1]/r", &j), 0);
        CHECK_STREQ(j.domain, "[::1]");
        jid_done(&j);
        CHECK_INT(jid_parse("[2001:DB8::1]", &j), 0);
        CHECK_STREQ(j.domain, "[2001:db8::1]");
        jid_done(&j);

        /* On failure the out-parameter is untouched. */
        j.local = (char *)"sentinel";
        CHECK_INT(jid_parse("@example.com", &j), -EINVAL);
        CHECK_STREQ(j.local, "sentinel");
        jid_done(NULL);
}

static void test_valid(void)
{
        static const char *const good[] = {
            "example.com",
            "localhost",
            "a@b",
            "user@192.168.0.1",
            "user@[::1]",
            "user@[2001:db8::42]/res",
            "münchen@münchen.de",
            "user@example.com/resource with spaces",
            "user@example.com/a/b/c",
            "user@example.com/ünïcödé",
            "user@example.com.",
            "*@example.com", /* '*' is an ordinary local-part character */
            "under_score@my_host.example",
            "a@b/@",
        };
        static const char *const bad[] = {
            "",
            "@",
            "@example.com",
            "user@",
            "user@/res",
            "user@example.com/",
            "example.com/",
            "us er@example.com",
            "us\"er@example.com",
            "us&er@example.com",
            "us'er@example.com",
            "us:er@example.com",
            "us<er@example.com",
            "us>er@example.com",
            "a@b@c",
            "user@exa mple.com",
            "user@example..com",
            "user@.example.com",
            "user@example.com..",
            ".",
            "user@[::1",
            "user@[not:an:ip]",
            "user@[1.2.3.4]",
            "user@ex*ample.com",
            "user@example.com/res\tx",
            "user@example.com/res\x01",
            ("us\x7f"
             "er@example.com"),
            "user@example.com/\xc2\x85",     /* U+0085, a C1 control */
            "user@example.com/\xff",         /* invalid UTF-8 */
            "us\xc0\xafr@example.com",       /* overlong '/' */
            "user@example.com/\xed\xa0\x80", /* surrogate */
        };

        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!jid_is_valid(good[i])) {
                        fprintf(stderr, "expected valid: %s\n", good[i]);
                        tests_failed++;
                }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (jid_is_valid(bad[i])) {
                        fprintf(stderr, "expected invalid: %s\n", bad[i]);
                        tests_failed++;
                }
        CHECK(!jid_is_valid(NULL));
}

static void test_lengths(void)
{
        char buf[3000];

        /* local: 1023 bytes ok, 1024 not. */
        memset(buf, 'a', 1023);
        strcpy(buf + 1023, "@example.com");
        CHECK(jid_is_valid(buf));
        memset(buf, 'a', 1024);
        strcpy(buf + 1024, "@example.com");
        CHECK(!jid_is_valid(buf));

        /* resource */
        strcpy(buf, "a@b/");
        memset(buf + 4, 'r', 1023);
        buf[4 + 1023] = 0;
        CHECK(jid_is_valid(buf));
        memset(buf + 4, 'r', 1024);
        buf[4 + 1024] = 0;
        CHECK(!jid_is_valid(buf));

        /* domain: labels of up to 63 bytes, up to 1023 bytes in all. */
        memset(buf, 'd', 63);
        buf[63] = 0;
        CHECK(jid_is_valid(buf));
        memset(buf, 'd', 64);
        buf[64] = 0;
        CHECK(!jid_is_valid(buf));
        /* Labels of 63 bytes and their dots, cut to length. */
        for (size_t i = 0; i < 16; i++) {
                memset(buf + i * 64, 'd', 63);
                buf[i * 64 + 63] = '.';
        }
        buf[1023] = 0;
        buf[1022] = 0;
        CHECK(jid_is_valid(buf)); /* 1022 bytes */
        buf[1022] = 'd';
        CHECK(jid_is_valid(buf)); /* 1023 bytes */
        buf[1023] = '.';
        buf[1024] = 0;
        CHECK(jid_is_valid(buf)); /* 1023 bytes and a trailing dot */
        buf[1021] = '.';
        buf[1023] = 'd';
        CHECK(!jid_is_valid(buf)); /* 1024 bytes */
}

static void test_helpers(void)
{
        char *s;

        s = jid_bare("Romeo@Montague.LIT/orchard");
        CHECK_STREQ(s, "Romeo@montague.lit");
        free(s);
        s = jid_bare("Montague.LIT./x");
        CHECK_STREQ(s, "montague.lit");
        free(s);
        CHECK(!jid_bare("bad@"));
        s = jid_normalize("Romeo@Montague.LIT./Orchard");
        CHECK_STREQ(s, "Romeo@montague.lit/Orchard");
        free(s);
        s = jid_domain("romeo@Montague.Lit/x");
        CHECK_STREQ(s, "montague.lit");
        free(s);
        CHECK(!jid_domain("@x"));
}

static void test_compare(void)
{
        CHECK(jid_bare_equal("Juliet@Capulet.lit", "juliet@capulet.LIT"));
        CHECK(jid_bare_equal("juliet@capulet.lit.", "juliet@capulet.lit"));
        CHECK(jid_bare_equal("juliet@capulet.lit/a", "juliet@capulet.lit/b"));
        CHECK(!jid_bare_equal("juliet@capulet.lit", "romeo@capulet.lit"));
        CHECK(!jid_bare_equal("juliet@capulet.lit", "capulet.lit"));
        CHECK(!jid_bare_equal("juliet@capulet.lit", "juliet@capulet.li"));
        CHECK(!jid_bare_equal("bad@", "bad@"));
        CHECK(!jid_bare_equal(NULL, "a@b"));

        CHECK(jid_match("juliet@capulet.lit", "Juliet@Capulet.lit"));
        CHECK(!jid_match("juliet@capulet.lit", "romeo@capulet.lit"));
        CHECK(jid_match("*@capulet.lit", "nurse@CAPULET.lit"));
        CHECK(jid_match("*@Capulet.lit.", "nurse@capulet.lit"));
        CHECK(!jid_match("*@capulet.lit", "capulet.lit"));
        CHECK(!jid_match("*@capulet.lit", "nurse@sub.capulet.lit"));
        CHECK(!jid_match("*@capulet.lit", "nurse@montague.lit"));
        CHECK(jid_match("capulet.lit", "capulet.lit"));
        CHECK(!jid_match("capulet.lit", "nurse@capulet.lit"));
        CHECK(!jid_match("juliet@capulet.lit/balcony", "juliet@capulet.lit"));
        CHECK(!jid_match(NULL, "a@b"));
        CHECK(!jid_match("a@b", NULL));

        CHECK(jid_pattern_is_valid("juliet@capulet.lit"));
        CHECK(jid_pattern_is_valid("*@capulet.lit"));
        CHECK(jid_pattern_is_valid("capulet.lit"));
        CHECK(!jid_pattern_is_valid("*@"));
        CHECK(!jid_pattern_is_valid("*@*"));
        CHECK(!jid_pattern_is_valid("*@a@b"));
        CHECK(!jid_pattern_is_valid("*@capulet.lit/r"));
        CHECK(!jid_pattern_is_valid("juliet@capulet.lit/r"));
        CHECK(!jid_pattern_is_valid("*"));
        CHECK(!jid_pattern_is_valid(""));
        CHECK(!jid_pattern_is_valid(NULL));
}

int main(void)
{
        test_parse();
        test_valid();
        test_lengths();
        test_helpers();
        test_compare();
        return TESTS_RESULT();
}
