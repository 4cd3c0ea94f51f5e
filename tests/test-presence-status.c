/* SPDX-License-Identifier: MIT */
/* Status templates: names with ':' and '/', '?' for failed probes, languages, syntax errors. */
#include "presence/presence-internal.h"
#include "tests.h"

static struct presence_values vals;

static void check_render(const char *tpl, const char *expected)
{
        char *out = NULL;

        CHECK_INT(presence_status_render(tpl, &vals, &out), 0);
        CHECK_STREQ(out, expected);
        free(out);
}

static void check_syntax_error(const char *tpl, size_t offset, const char *msg_part)
{
        const char *msg = NULL;
        size_t off = 9999;
        char *out = NULL;

        CHECK_INT(presence_status_parse(tpl, NULL, NULL, &off, &msg), -EINVAL);
        CHECK_INT(off, offset);
        CHECK(msg && strstr(msg, msg_part));
        /* Rendering refuses it too (config loading never lets it through). */
        CHECK_INT(presence_status_render(tpl, &vals, &out), -EINVAL);
        CHECK(!out);
}

struct names {
        char seen[8][64];
        size_t offsets[8];
        int n;
};

static int collect(const char *name, size_t len, size_t offset, void *userdata)
{
        struct names *n = userdata;

        if (n->n >= 8 || len >= 64)
                return -E2BIG;
        memcpy(n->seen[n->n], name, len);
        n->seen[n->n][len] = '\0';
        n->offsets[n->n++] = offset;
        return 0;
}

static void test_render(void)
{
        CHECK_INT(presence_values_set(&vals, "load1", "0.52"), 0);
        CHECK_INT(presence_values_set(&vals, "mem_used_pct", "41"), 0);
        CHECK_INT(presence_values_set(&vals, "disk_used_pct:/", "97"), 0);
        CHECK_INT(presence_values_set(&vals, "disk_used_pct:/home", "12"), 0);
        CHECK_INT(presence_values_set(&vals, "failed_units", NULL), 0); /* the probe failed */
        CHECK_INT(presence_values_set(&vals, "NOTE", "all {fine}"), 0);

        check_render("load {load1} · mem {mem_used_pct}% · / {disk_used_pct:/}%",
                     "load 0.52 · mem 41% · / 97%");
        check_render("{disk_used_pct:/}/{disk_used_pct:/home}", "97/12");
        check_render("failed: {failed_units}", "failed: ?");
        check_render("absent: {temperature}", "absent: ?");
        check_render("{{literal}} {load1}}}", "{literal} 0.52}");
        /* Values are inserted as they are, never re-expanded. */
        check_render("{NOTE}", "all {fine}");
        check_render("", "");
        check_render("no names", "no names");
}

static void test_i18n(void)
{
        struct i18n tpl = {0}, out = {0}, out2 = {0};
        struct i18n_entry entries[] = {
            {(char *)"en", (char *)"load {load1}, failed units {failed_units}"},
            {(char *)"fr", (char *)"charge {load1}, unités en échec {failed_units}"},
        };

        tpl.v = entries;
        tpl.n = 2;
        CHECK_INT(presence_status_render_i18n(&tpl, &vals, &out), 0);
        CHECK_INT(out.n, 2);
        if (out.n == 2) {
                CHECK_STREQ(out.v[0].lang, "en");
                CHECK_STREQ(out.v[0].text, "load 0.52, failed units ?");
                CHECK_STREQ(out.v[1].lang, "fr");
                CHECK_STREQ(out.v[1].text, "charge 0.52, unités en échec ?");
        }
        CHECK_INT(presence_i18n_copy(&out, &out2), 0);
        CHECK(presence_i18n_equal(&out, &out2));
        free(out2.v[1].text);
        out2.v[1].text = strdup("autre");
        CHECK(!presence_i18n_equal(&out, &out2));
        CHECK(!presence_i18n_equal(&out, NULL));
        CHECK(presence_i18n_equal(NULL, &(struct i18n){0}));
        i18n_done(&out);
        i18n_done(&out2);

        /* A plain (language-less) template gives a plain text. */
        CHECK_INT(presence_status_render_i18n(&(struct i18n){.v = entries, .n = 1}, &vals, &out),
                  0);
        CHECK_INT(out.n, 1);
        i18n_done(&out);
}

static void test_parse(void)
{
        struct names n = {0};
        const char *msg = NULL;
        size_t off = 0;

        CHECK_INT(presence_status_parse("a {load1} b {{x}} {disk_used_pct:/var/lib} c", collect, &n,
                                        &off, &msg),
                  0);
        CHECK_INT(n.n, 2);
        CHECK_STREQ(n.seen[0], "load1");
        CHECK_INT(n.offsets[0], 2);
        CHECK_STREQ(n.seen[1], "disk_used_pct:/var/lib");
        CHECK_INT(n.offsets[1], 18);

        check_syntax_error("load {load1", 5, "unbalanced '{'");
        check_syntax_error("load {", 5, "unbalanced '{'");
        check_syntax_error("load {}", 6, "expected a value name");
        check_syntax_error("load { load1}", 6, "expected a value name");
        check_syntax_error("load {load1 }", 11, "invalid character");
        check_syntax_error("load {load-1}", 10, "invalid character");
        check_syntax_error("{disk_used_pct:/a b}", 17, "invalid character");
        check_syntax_error("load }", 5, "unbalanced '}'");
}

int main(void)
{
        test_render();
        test_i18n();
        test_parse();
        presence_values_done(&vals);
        return TESTS_RESULT();
}
