/* SPDX-License-Identifier: MIT */
#include "tests.h"
#include "ynode.h"

/* Parses s, which must fail with exactly one error at line:col whose message contains msg. */
static int fails_at(const char *s, size_t len, unsigned line, unsigned col, const char *msg)
{
        struct diags d = {0};
        struct ynode *n = NULL;
        int r, ok;

        r = ynode_parse(s, len, "t.yaml", &n, &d);
        ok = r == -EINVAL && !n && d.n_errors >= 1 && d.v[0].line == line && d.v[0].col == col &&
             strstr(d.v[0].msg, msg) && streq(d.v[0].file, "t.yaml");
        if (!ok) {
                fprintf(stderr, "input %.40s: r=%d, expected %u:%u '%s', got:\n", s, r, line, col,
                        msg);
                diags_print(&d, stderr);
        }
        ynode_free(n);
        diags_done(&d);
        return ok;
}
#define FAILS_AT(s, line, col, msg) CHECK(fails_at((s), strlen(s), line, col, msg))

static struct ynode *parse_ok(const char *s)
{
        struct diags d = {0};
        struct ynode *n = NULL;

        if (ynode_parse(s, strlen(s), "t.yaml", &n, &d) < 0 || d.n > 0) {
                fprintf(stderr, "unexpected failure on: %s\n", s);
                diags_print(&d, stderr);
        }
        diags_done(&d);
        return n;
}

static void test_good(void)
{
        struct ynode *n = parse_ok("# config\n"
                                   "name: adhocd\n"
                                   "list:\n"
                                   "  - one\n"
                                   "  - 'two'\n"
                                   "  - {k: v}\n"
                                   "empty:\n"
                                   "quoted: \"\"\n"
                                   "utf8: \"héllo\"\n");
        const struct ynode *l, *e;

        CHECK(n);
        if (!n)
                return;
        CHECK_INT(n->type, YNODE_MAP);
        CHECK_INT(n->n, 5);
        CHECK_STREQ(n->file, "t.yaml");
        CHECK_STREQ(ynode_get(n, "name")->scalar, "adhocd");
        CHECK_INT(ynode_get(n, "name")->line, 2);
        CHECK_INT(ynode_get(n, "name")->col, 7);
        CHECK_INT(n->keys[0]->line, 2);
        CHECK_INT(n->keys[0]->col, 1);
        l = ynode_get(n, "list");
        CHECK(l && l->type == YNODE_SEQ && l->n == 3);
        CHECK_INT(l->line, 4);
        CHECK_INT(l->col, 3);
        CHECK(l->items[0]->plain);
        CHECK(!l->items[1]->plain);
        CHECK_STREQ(l->items[1]->scalar, "two");
        CHECK_INT(l->items[1]->col, 5);
        CHECK_INT(l->items[2]->type, YNODE_MAP);
        CHECK_STREQ(ynode_get(l->items[2], "k")->scalar, "v");
        CHECK_INT(ynode_get(l->items[2], "k")->col, 9);
        e = ynode_get(n, "empty");
        CHECK(e && ynode_is_null(e));
        CHECK(!ynode_is_null(ynode_get(n, "quoted")));
        CHECK(ynode_is_null(ynode_get(n, "absent")));
        CHECK(!ynode_get(l, "x")); /* not a map */
        CHECK_STREQ(ynode_get(n, "utf8")->scalar, "héllo");
        ynode_free(n);
}

static void test_empty(void)
{
        const char *inputs[] = {"", "---\n", "# only a comment\n", "~\n", "---\n...\n"};

        for (size_t i = 0; i < ELEMENTSOF(inputs); i++) {
                struct ynode *n = parse_ok(inputs[i]);
                CHECK(n && n->type == YNODE_MAP && n->n == 0);
                ynode_free(n);
        }
}

static void test_duplicates(void)
{
        FAILS_AT("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a' (first defined at line 1)");
        FAILS_AT("x:\n  k: 1\n  j: 2\n  k: 3\n", 4, 3,
                 "duplicate key 'k' (first defined at line 2)");
        FAILS_AT("{a: 1, b: 2, a: 3}", 1, 14, "duplicate key 'a' (first defined at line 1)");
        /* Quoting does not make a different key. */
        FAILS_AT("a: 1\n'a': 2\n", 2, 1, "duplicate key 'a'");
}

static void test_anchors_tags(void)
{
        FAILS_AT("a: &x 1\n", 1, 4, "anchors are not supported ('&x')");
        FAILS_AT("a: &m {b: 1}\n", 1, 4, "anchors are not supported");
        FAILS_AT("a: 1\nb: *x\n", 2, 4, "aliases are not supported ('*x')");
        FAILS_AT("a: !!str 1\n", 1, 4, "tags are not supported");
        FAILS_AT("a: !foo [1]\n", 1, 4, "tags are not supported");
        FAILS_AT("%TAG !e! tag:example.com,2000:\n---\na: 1\n", 1, 1, "%TAG directives");
}

static char *repeat(const char *unit, size_t n, const char *tail)
{
        size_t ul = strlen(unit), tl = strlen(tail);
        char *s = malloc(ul * n + tl + 1);

        for (size_t i = 0; i < n; i++)
                memcpy(s + i * ul, unit, ul);
        memcpy(s + ul * n, tail, tl + 1);
        return s;
}

static void test_depth(void)
{
        char *s;

        /* 64 levels are fine, the 65th is reported where it opens. */
        {
                char *close = repeat("]", YNODE_MAX_DEPTH, "\n");
                struct ynode *n;

                s = repeat("[", YNODE_MAX_DEPTH, close);
                n = parse_ok(s);
                CHECK(n && n->type == YNODE_SEQ);
                ynode_free(n);
                free(s);
                free(close);
                s = repeat("- ", YNODE_MAX_DEPTH, "x\n");
                n = parse_ok(s);
                CHECK(n);
                ynode_free(n);
                free(s);
        }
        s = repeat("- ", YNODE_MAX_DEPTH + 1, "x\n");
        FAILS_AT(s, 1, 2 * YNODE_MAX_DEPTH + 1, "nesting deeper than 64 levels");
        free(s);
        s = repeat("[", YNODE_MAX_DEPTH + 1, "");
        FAILS_AT(s, 1, YNODE_MAX_DEPTH + 1, "nesting deeper than 64 levels");
        free(s);

        /* Pathological inputs stop at the limit. */
        s = repeat("[", 200000, "");
        FAILS_AT(s, 1, 65, "nesting deeper than 64 levels");
        free(s);
        s = repeat("{a: ", 200000, "");
        FAILS_AT(s, 1, 4 * 64 + 1, "nesting deeper than 64 levels");
        free(s);
        s = repeat("- ", 200000, "x\n");
        FAILS_AT(s, 1, 129, "nesting deeper than 64 levels");
        free(s);
}

static void test_keys(void)
{
        FAILS_AT("? [a]\n: 1\n", 1, 3, "mapping keys must be scalars");
        FAILS_AT("{[a]: 1}\n", 1, 2, "mapping keys must be scalars");
        FAILS_AT("b: 2\n? {x: 1}\n: 1\n", 2, 3, "mapping keys must be scalars");
}

static void test_size(void)
{
        size_t len = YNODE_MAX_SIZE + 1;
        char *s = malloc(len);

        memset(s, '#', len);
        CHECK(fails_at(s, len, 1, 1, "file too large"));
        /* Exactly at the limit is accepted (one long comment). */
        {
                struct diags d = {0};
                struct ynode *n = NULL;
                CHECK_INT(ynode_parse(s, len - 1, "t.yaml", &n, &d), 0);
                ynode_free(n);
                diags_done(&d);
        }
        free(s);
}

static void test_documents(void)
{
        FAILS_AT("a: 1\n---\nb: 2\n", 2, 1, "only one YAML document is allowed");
        FAILS_AT("--- a\n--- b\n", 2, 1, "only one YAML document is allowed");
}

static void test_syntax(void)
{
        FAILS_AT("a: [1, 2\n", 2, 1, "did not find expected ',' or ']'");
        FAILS_AT("a: 'unterminated\n", 2, 1, "found unexpected end of stream");
        FAILS_AT("a: b: c\n", 1, 5, "mapping values are not allowed in this context");
        FAILS_AT("a:\n\tb: 1\n", 2, 1, "found character that cannot start any token");
        FAILS_AT("a: 1\n b: 2\n", 2, 3, "mapping values are not allowed");
        FAILS_AT("- a\nb: 1\n", 2, 1, "did not find expected '-' indicator");
}

static void test_encoding(void)
{
        FAILS_AT("a: \xff\n", 1, 4, "invalid UTF-8 byte 0xff");
        FAILS_AT("é: b\nc: d\xc3\n", 2, 5, "invalid UTF-8");
        FAILS_AT("a: \xed\xa0\x80\n", 1, 4, "invalid UTF-8"); /* a surrogate */
        FAILS_AT("a: \xc0\xaf\n", 1, 4, "invalid UTF-8");     /* overlong */
        FAILS_AT("a: b\x01\n", 1, 5, "control character U+0001");
        FAILS_AT("ab: \x7f\n", 1, 5, "control character U+007F");
        CHECK(fails_at("a: b\0c\n", 7, 1, 5, "NUL byte not allowed"));
        CHECK(fails_at("a: b\nx: \"\\0\"\n", 13, 2, 4, "NUL character in scalar"));
        /* A leading BOM is allowed. */
        {
                struct ynode *n = parse_ok("\xef\xbb\xbf"
                                           "a: 1\n");
                CHECK(n && ynode_get(n, "a"));
                ynode_free(n);
        }
}

/* Runs an accessor on the value of "v" in doc; checks the error position and text. */
static struct ynode *doc;
static struct diags d;

static const struct ynode *val(const char *yaml)
{
        ynode_free(doc);
        diags_done(&d);
        doc = parse_ok(yaml);
        return ynode_get(doc, "v");
}

static int last_error(unsigned line, unsigned col, const char *msg)
{
        int ok = d.n > 0 && d.v[d.n - 1].level == DIAG_ERROR && d.v[d.n - 1].line == line &&
                 d.v[d.n - 1].col == col && strstr(d.v[d.n - 1].msg, msg);
        if (!ok) {
                fprintf(stderr, "expected %u:%u '%s', got:\n", line, col, msg);
                diags_print(&d, stderr);
        }
        return ok;
}

static void test_scalars(void)
{
        char *s = NULL;
        bool b = false;
        uint64_t u = 0;
        int64_t i = 0;
        usec_t t = 0;

        CHECK_INT(ynode_string(val("v: hello"), &s, &d), 0);
        CHECK_STREQ(s, "hello");
        free(s);
        s = (char *)"untouched";
        CHECK_INT(ynode_string(val("v: ~"), &s, &d), -EINVAL);
        CHECK(last_error(1, 4, "v: expected a string, got null"));
        CHECK_STREQ(s, "untouched");
        CHECK_INT(ynode_string(val("v: [a]"), &s, &d), -EINVAL);
        CHECK(last_error(1, 4, "expected a string, got a list"));
        CHECK_INT(ynode_string(val("v: \"null\""), &s, &d), 0);
        CHECK_STREQ(s, "null");
        free(s);
        CHECK_INT(ynode_string(NULL, &s, &d), -EINVAL);

        CHECK_INT(ynode_bool(val("v: yes"), &b, &d), 0);
        CHECK(b);
        CHECK_INT(ynode_bool(val("v: Off"), &b, &d), 0);
        CHECK(!b);
        CHECK_INT(ynode_bool(val("v: TRUE"), &b, &d), 0);
        CHECK(b);
        CHECK_INT(ynode_bool(val("v: 'true'"), &b, &d), -EINVAL);
        CHECK(last_error(1, 4, "expected a boolean (true or false), got 'true' (quoted)"));
        CHECK_INT(ynode_bool(val("v: 1"), &b, &d), -EINVAL);
        CHECK(last_error(1, 4, "got '1'"));
        CHECK_INT(ynode_bool(val("v: {}"), &b, &d), -EINVAL);
        CHECK(last_error(1, 4, "got a map"));

        CHECK_INT(ynode_uint(val("v: 42"), 1, 100, &u, &d), 0);
        CHECK_INT(u, 42);
        CHECK_INT(ynode_uint(val("x: 1\nv: 101"), 1, 100, &u, &d), -EINVAL);
        CHECK(last_error(2, 4, "expected an integer between 1 and 100, got '101'"));
        CHECK_INT(u, 42);
        CHECK_INT(ynode_uint(val("v: 0"), 1, 100, &u, &d), -EINVAL);
        CHECK_INT(ynode_uint(val("v: -1"), 0, 100, &u, &d), -EINVAL);
        CHECK_INT(ynode_uint(val("v: 99999999999999999999999"), 0, UINT64_MAX, &u, &d), -EINVAL);
        CHECK_INT(ynode_uint(val("v: 1.5"), 0, 100, &u, &d), -EINVAL);
        CHECK_INT(ynode_uint(val("v:"), 0, 100, &u, &d), -EINVAL);
        CHECK(last_error(1, 3, "expected an integer, got null"));

        CHECK_INT(ynode_int(val("v: -128"), -128, 127, &i, &d), 0);
        CHECK_INT(i, -128);
        CHECK_INT(ynode_int(val("v: +5"), -128, 127, &i, &d), 0);
        CHECK_INT(i, 5);
        CHECK_INT(ynode_int(val("v: -129"), -128, 127, &i, &d), -EINVAL);
        CHECK(last_error(1, 4, "expected an integer between -128 and 127, got '-129'"));
        CHECK_INT(ynode_int(val("v: -9223372036854775808"), INT64_MIN, INT64_MAX, &i, &d), 0);
        CHECK(i == INT64_MIN);
        CHECK_INT(ynode_int(val("v: 9223372036854775808"), INT64_MIN, INT64_MAX, &i, &d), -EINVAL);
        CHECK_INT(ynode_int(val("v: --1"), -10, 10, &i, &d), -EINVAL);

        CHECK_INT(ynode_duration(val("v: 10m"), &t, &d), 0);
        CHECK_INT(t, 600 * USEC_PER_SEC);
        CHECK_INT(ynode_duration(val("v: 10 minutes"), &t, &d), -EINVAL);
        CHECK(last_error(1, 4, "invalid duration '10 minutes'"));
        /* Bounded: the value is kept only within the bounds, and the message names both. */
        t = 7;
        CHECK_INT(ynode_duration_between(val("v: 2h"), USEC_PER_MSEC, 3600 * USEC_PER_SEC, &t, &d),
                  -EINVAL);
        CHECK(last_error(1, 4, "v: must be between 1ms and 1h, not '2h'"));
        CHECK_INT(t, 7);
        CHECK_INT(ynode_duration_between(val("v: 0"), 1, 7 * 86400 * USEC_PER_SEC, &t, &d),
                  -EINVAL);
        CHECK(last_error(1, 4, "v: must be more than 0 and at most 7d, not '0'"));
        CHECK_INT(ynode_duration_between(val("v: 0"), 1, USEC_INFINITY, &t, &d), -EINVAL);
        CHECK(last_error(1, 4, "v: must be more than 0, not '0'"));
        CHECK_INT(ynode_duration_between(val("v: 500ms"), USEC_PER_SEC, USEC_INFINITY, &t, &d),
                  -EINVAL);
        CHECK(last_error(1, 4, "v: must be at least 1s, not '500ms'"));
        CHECK_INT(ynode_duration_between(val("v: 2d"), 0, 86400 * USEC_PER_SEC, &t, &d), -EINVAL);
        CHECK(last_error(1, 4, "v: must be at most 24h, not '2d'"));
        CHECK_INT(ynode_duration_between(val("v: soon"), 0, USEC_INFINITY, &t, &d), -EINVAL);
        CHECK(last_error(1, 4, "invalid duration 'soon'"));
        CHECK_INT(ynode_duration_between(val("v: 1h"), 0, 3600 * USEC_PER_SEC, &t, &d), 0);
        CHECK_INT(t, 3600 * USEC_PER_SEC);
        CHECK_INT(ynode_size(val("v: 64KiB"), &u, &d), 0);
        CHECK_INT(u, 65536);
        CHECK_INT(ynode_size(val("v: lots"), &u, &d), -EINVAL);
        CHECK(last_error(1, 4, "invalid size 'lots'"));
}

static void test_strv(void)
{
        char **l = NULL;

        CHECK_INT(ynode_strv(val("v: one"), &l, &d), 0);
        CHECK(l && strv_length(l) == 1 && streq(l[0], "one"));
        strv_free(l);
        CHECK_INT(ynode_strv(val("v: [a, 'b', c]"), &l, &d), 0);
        CHECK(l && strv_length(l) == 3 && streq(l[1], "b"));
        strv_free(l);
        CHECK_INT(ynode_strv(val("v:"), &l, &d), 0);
        CHECK(l && strv_length(l) == 0);
        strv_free(l);
        CHECK_INT(ynode_strv(val("v: []"), &l, &d), 0);
        CHECK(l && strv_length(l) == 0);
        strv_free(l);
        l = NULL;
        CHECK_INT(ynode_strv(val("v:\n  - a\n  - [b]\n"), &l, &d), -EINVAL);
        CHECK(last_error(3, 5, "expected a string, got a list"));
        CHECK(!l);
        CHECK_INT(ynode_strv(val("v: {a: b}"), &l, &d), -EINVAL);
        CHECK(last_error(1, 4, "expected a string or a list of strings, got a map"));
        CHECK(!l);
}

static void test_check_keys(void)
{
        static const char *const allowed[] = {"node", "name", "allow", "deny", NULL};
        const struct ynode *v;

        v = val("v:\n  node: x\n  allow: y\n");
        CHECK_INT(ynode_check_keys(v, allowed, &d), 0);
        CHECK_INT(d.n, 0);
        v = val("v:\n  node: x\n  alow: y\n  colour: red\n  Name: n\n");
        CHECK_INT(ynode_check_keys(v, allowed, &d), -EINVAL);
        CHECK_INT(d.n_errors, 3);
        if (d.n == 3) {
                CHECK_STREQ(d.v[0].msg, "unknown key 'alow' (did you mean 'allow'?)");
                CHECK_INT(d.v[0].line, 3);
                CHECK_INT(d.v[0].col, 3);
                CHECK_STREQ(d.v[1].msg, "unknown key 'colour'");
                CHECK_INT(d.v[1].line, 4);
                CHECK_STREQ(d.v[2].msg, "unknown key 'Name' (did you mean 'name'?)");
        }
        CHECK_INT(ynode_check_keys(val("v: [a]"), allowed, &d), -EINVAL);
        CHECK(last_error(1, 4, "expected a map, got a list"));

        CHECK_INT(ynode_expect(val("v: [a]"), YNODE_SEQ, &d), 0);
        CHECK_INT(ynode_expect(val("v: a"), YNODE_SEQ, &d), -EINVAL);
        CHECK(last_error(1, 4, "expected a list, got a scalar"));
        CHECK_INT(ynode_error(val("x: 1\nv: a"), &d, "custom %d", 7), -EINVAL);
        CHECK(last_error(2, 4, "custom 7"));
        CHECK_INT(ynode_warning(val("v: a"), &d, "careful"), 0);
        CHECK(d.n == 1 && d.v[0].level == DIAG_WARNING && d.n_errors == 0);

        ynode_free(doc);
        doc = NULL;
        diags_done(&d);
}

static void test_many_errors(void)
{
        struct diags dd = {0};
        struct ynode *n = NULL;
        char *s = repeat("- &a x\n", 200, "");

        CHECK_INT(ynode_parse(s, strlen(s), "t.yaml", &n, &dd), -EINVAL);
        CHECK_INT(dd.n, 51);
        if (dd.n == 51) {
                CHECK_INT(dd.v[49].line, 50);
                CHECK_STREQ(dd.v[50].msg, "too many errors, giving up");
        }
        diags_done(&dd);
        free(s);

        /* Reported in the order of the file, whatever the order they were found in. */
        s = (char *)"a: 1\na: 2\nb: &x 3\n";
        CHECK_INT(ynode_parse(s, strlen(s), "t.yaml", &n, &dd), -EINVAL);
        CHECK(dd.n == 2 && dd.v[0].line == 2 && dd.v[1].line == 3);
        diags_done(&dd);
}

int main(void)
{
        test_good();
        test_empty();
        test_duplicates();
        test_anchors_tags();
        test_depth();
        test_keys();
        test_size();
        test_documents();
        test_syntax();
        test_encoding();
        test_scalars();
        test_strv();
        test_check_keys();
        test_many_errors();
        return TESTS_RESULT();
}
