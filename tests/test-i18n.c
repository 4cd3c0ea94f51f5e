/* SPDX-License-Identifier: MIT */
#include "i18n.h"
#include "tests.h"

static struct diags d;

static struct ynode *parse(const char *s)
{
        struct ynode *n = NULL;

        if (ynode_parse(s, strlen(s), "t.yaml", &n, &d) < 0)
                diags_print(&d, stderr);
        return n;
}

static int error_at(unsigned line, unsigned col, const char *msg)
{
        int ok = d.n > 0 && d.v[d.n - 1].level == DIAG_ERROR && d.v[d.n - 1].line == line &&
                 d.v[d.n - 1].col == col && strstr(d.v[d.n - 1].msg, msg);
        if (!ok) {
                fprintf(stderr, "expected %u:%u '%s', got:\n", line, col, msg);
                diags_print(&d, stderr);
        }
        return ok;
}

static void test_lang_tags(void)
{
        CHECK(lang_tag_is_valid("en"));
        CHECK(lang_tag_is_valid("fr-CA"));
        CHECK(lang_tag_is_valid("zh-Hant-TW"));
        CHECK(lang_tag_is_valid("de-CH-1996"));
        CHECK(lang_tag_is_valid("x-klingon"));
        CHECK(lang_tag_is_valid("sgn-BE-FR"));
        CHECK(!lang_tag_is_valid(""));
        CHECK(!lang_tag_is_valid(NULL));
        CHECK(!lang_tag_is_valid("e"));
        CHECK(!lang_tag_is_valid("en-"));
        CHECK(!lang_tag_is_valid("-en"));
        CHECK(!lang_tag_is_valid("en--US"));
        CHECK(!lang_tag_is_valid("en_US"));
        CHECK(!lang_tag_is_valid("1en"));
        CHECK(!lang_tag_is_valid("en-abcdefghi"));
        CHECK(!lang_tag_is_valid("languages-x")); /* 9-letter subtag */
        CHECK(!lang_tag_is_valid("en US"));
        CHECK(!lang_tag_is_valid("aa-bbbbbbbb-cccccccc-dddddddd-eeeeee")); /* 36 chars */
        CHECK(lang_tag_is_valid("aa-bbbbbbbb-cccccccc-dddddddd-eeeee"));   /* 35 chars */
}

static void test_plain(void)
{
        struct ynode *n = parse("v: Hello");
        struct i18n t = {0};
        const char *lang = "unset";

        CHECK_INT(i18n_from_ynode(ynode_get(n, "v"), &t, &d), 0);
        CHECK_INT(t.n, 1);
        CHECK(!i18n_is_empty(&t));
        CHECK_STREQ(i18n_pick(&t, "fr"), "Hello");
        CHECK_STREQ(i18n_pick(&t, NULL), "Hello");
        CHECK_STREQ(i18n_pick_lang(&t, "de", &lang), "Hello");
        CHECK(lang == NULL);
        i18n_done(&t);
        CHECK(i18n_is_empty(&t));
        CHECK(i18n_pick(&t, "en") == NULL);
        ynode_free(n);

        CHECK_INT(i18n_set_plain(&t, "one"), 0);
        CHECK_INT(i18n_set_plain(&t, "two"), 0);
        CHECK_INT(t.n, 1);
        CHECK_STREQ(i18n_pick(&t, "en"), "two");
        i18n_done(&t);
}

static void test_map_and_pick(void)
{
        struct ynode *n =
            parse("v: {en: Restart, fr-FR: Redémarrer, de: Neustart, pt-BR: Reiniciar}");
        struct i18n t = {0};
        const char *lang = NULL;

        CHECK_INT(i18n_from_ynode(ynode_get(n, "v"), &t, &d), 0);
        CHECK_INT(t.n, 4);
        CHECK_STREQ(i18n_pick(&t, "de"), "Neustart");
        CHECK_STREQ(i18n_pick(&t, "DE"), "Neustart");      /* case-insensitive */
        CHECK_STREQ(i18n_pick(&t, "fr-fr"), "Redémarrer"); /* exact, any case */
        CHECK_STREQ(i18n_pick(&t, "de-AT"), "Neustart");   /* primary subtag of the request */
        CHECK_STREQ(i18n_pick(&t, "fr"), "Redémarrer");    /* primary subtag of the entry */
        CHECK_STREQ(i18n_pick_lang(&t, "fr-CA", &lang), "Redémarrer");
        CHECK_STREQ(lang, "fr-FR");
        CHECK_STREQ(i18n_pick(&t, "pt"), "Reiniciar");
        CHECK_STREQ(i18n_pick(&t, "ja"), "Restart"); /* the first */
        CHECK_STREQ(i18n_pick(&t, ""), "Restart");
        CHECK_STREQ(i18n_pick(&t, NULL), "Restart");
        CHECK_STREQ(i18n_pick(&t, "e"), "Restart"); /* "e" is not a prefix of "en" */
        i18n_done(&t);
        ynode_free(n);

        /* A plain primary tag beats a regional one for a regional request. */
        n = parse("v: {fr-FR: France, fr: Français, fr-BE: Belgique}");
        CHECK_INT(i18n_from_ynode(ynode_get(n, "v"), &t, &d), 0);
        CHECK_STREQ(i18n_pick(&t, "fr-CA"), "Français");
        CHECK_STREQ(i18n_pick(&t, "fr-BE"), "Belgique");
        CHECK_STREQ(i18n_pick(&t, "fr"), "Français");
        i18n_done(&t);
        ynode_free(n);
}

static void test_errors(void)
{
        struct ynode *n;
        struct i18n t = {0};

        n = parse("v: {en: Hi, en_US: Howdy}");
        CHECK_INT(i18n_from_ynode(ynode_get(n, "v"), &t, &d), -EINVAL);
        CHECK(error_at(1, 13, "invalid language tag 'en_US'"));
        CHECK(t.n == 0 && !t.v);
        ynode_free(n);

        n = parse("v:\n  en: Hi\n  fr: [a]\n");
        CHECK_INT(i18n_from_ynode(ynode_get(n, "v"), &t, &d), -EINVAL);
        CHECK(error_at(3, 7, "expected a text for language 'fr'"));
        ynode_free(n);

        n = parse("v:\n  en: Hi\n  fr:\n");
        CHECK_INT(i18n_from_ynode(ynode_get(n, "v"), &t, &d), -EINVAL);
        CHECK(error_at(3, 6, "expected a text for language 'fr'"));
        ynode_free(n);

        n = parse("v:\n  en: Hi\n  EN: Hey\n");
        CHECK_INT(i18n_from_ynode(ynode_get(n, "v"), &t, &d), -EINVAL);
        CHECK(error_at(3, 3, "language 'EN' given twice"));
        ynode_free(n);

        n = parse("v: [a, b]");
        CHECK_INT(i18n_from_ynode(ynode_get(n, "v"), &t, &d), -EINVAL);
        CHECK(error_at(1, 4, "expected a text or a map of languages to texts"));
        ynode_free(n);

        n = parse("v: {}");
        CHECK_INT(i18n_from_ynode(ynode_get(n, "v"), &t, &d), -EINVAL);
        CHECK(error_at(1, 4, "expected a text or a map of languages"));
        ynode_free(n);

        n = parse("v: ~");
        CHECK_INT(i18n_from_ynode(ynode_get(n, "v"), &t, &d), -EINVAL);
        CHECK(error_at(1, 4, "expected a text"));
        ynode_free(n);
        CHECK(t.n == 0);
}

int main(void)
{
        test_lang_tags();
        test_plain();
        test_map_and_pick();
        test_errors();
        diags_done(&d);
        return TESTS_RESULT();
}
