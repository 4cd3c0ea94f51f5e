/* SPDX-License-Identifier: MIT */
/* The catalog of the agent's own texts: order, printf conversions, lookup and language rules. */
#include "l10n.h"
#include "tests.h"

/* The printf conversions of fmt that take arguments, each as "<*><.*><length><conversion>",
 * joined with '|'; "%%" takes none. A '%' that starts no conversion (a label "Volume (%)" is
 * no format) is "?": the translation must have it at the same place. Returns false for what the
 * catalog must not hold: a positional argument ("%1$s"). */
static bool conversions(const char *fmt, char *buf, size_t size)
{
        size_t n = 0;

        buf[0] = 0;
        for (const char *p = fmt; (p = strchr(p, '%'));) {
                char spec[16];
                size_t k = 0;

                p++;
                if (*p == '%') {
                        p++;
                        continue;
                }
                while (*p && strchr("-+ #0'", *p))
                        p++;
                if (*p == '*') {
                        spec[k++] = '*';
                        p++;
                }
                while (*p >= '0' && *p <= '9')
                        p++;
                if (*p == '$')
                        return false;
                if (*p == '.') {
                        p++;
                        if (*p == '*') {
                                spec[k++] = '.';
                                spec[k++] = '*';
                                p++;
                        }
                        while (*p >= '0' && *p <= '9')
                                p++;
                }
                while (*p && strchr("hlLjzt", *p) && k < sizeof(spec) - 2)
                        spec[k++] = *p++;
                if (*p && strchr("diouxXeEfFgGaAcspn", *p))
                        spec[k++] = *p++;
                else
                        spec[k++] = '?';
                spec[k] = 0;
                n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "|" : "", spec);
                if (n >= size)
                        return false;
        }
        return true;
}

static void test_conversions_helper(void)
{
        char b[64];

        CHECK(conversions("%s: '%.*s%s' is above %zu %%", b, sizeof(b)));
        CHECK_STREQ(b, "s|.*s|s|zu");
        CHECK(conversions("%-5d%*llu", b, sizeof(b)));
        CHECK_STREQ(b, "d|*llu");
        CHECK(!conversions("%1$s", b, sizeof(b)));
        CHECK(conversions("Volume (%)", b, sizeof(b)));
        CHECK_STREQ(b, "?");
        CHECK(conversions("cut %", b, sizeof(b)));
        CHECK_STREQ(b, "?");
}

/* Every entry: sorted for bsearch(), found by l10n(), French present and with the msgid's
 * conversions in the same order. */
static void test_catalog(void)
{
        size_t n;
        const struct l10n_entry *c = l10n_catalog(&n);

        CHECK(n > 100);
        for (size_t i = 0; i < n; i++) {
                char a[256], b[256];

                if (i > 0 && strcmp(c[i - 1].msgid, c[i].msgid) >= 0) {
                        fprintf(stderr, "not sorted: \"%s\" before \"%s\"\n", c[i - 1].msgid,
                                c[i].msgid);
                        tests_failed++;
                }
                CHECK(c[i].fr && *c[i].fr);
                if (!conversions(c[i].msgid, a, sizeof(a)) || !conversions(c[i].fr, b, sizeof(b)) ||
                    strcmp(a, b) != 0) {
                        fprintf(stderr, "conversions differ: \"%s\" [%s] vs \"%s\" [%s]\n",
                                c[i].msgid, a, c[i].fr, b);
                        tests_failed++;
                }
                /* The chosen typography: plain spaces, never a no-break space. */
                CHECK(!strstr(c[i].fr, "\xc2\xa0") && !strstr(c[i].fr, "\xe2\x80\xaf"));
                CHECK(l10n("fr", c[i].msgid) == c[i].fr);
                CHECK(l10n("en", c[i].msgid) == c[i].msgid);
        }
}

/* The same language rules as i18n_pick(): the primary subtag decides. */
static void test_lookup(void)
{
        static const char msgid[] = "Not confirmed; nothing was done.";
        static const char fr[] = "Non confirmé ; rien n'a été fait.";

        CHECK_STREQ(l10n("fr", msgid), fr);
        CHECK_STREQ(l10n("fr-CA", msgid), fr);
        CHECK_STREQ(l10n("FR", msgid), fr);
        CHECK_STREQ(l10n("fr-ch-1901", msgid), fr);
        CHECK(l10n("en", msgid) == msgid);
        CHECK(l10n("en-GB", msgid) == msgid);
        CHECK(l10n("de", msgid) == msgid);
        CHECK(l10n("frr", msgid) == msgid); /* North Frisian, not French */
        CHECK(l10n("f", msgid) == msgid);
        CHECK(l10n("", msgid) == msgid);
        CHECK(l10n(NULL, msgid) == msgid);
        /* No entry: the msgid itself, in any language. */
        CHECK_STREQ(l10n("fr", "No such text in the catalog"), "No such text in the catalog");
        CHECK(l10n("fr", NULL) == NULL);
        CHECK(l10n(NULL, NULL) == NULL);
}

static void test_i18n(void)
{
        struct i18n t = {0};

        CHECK_INT(l10n_i18n(&t, "Media remote"), 0);
        CHECK_INT(t.n, 2);
        CHECK_STREQ(i18n_pick(&t, NULL), "Media remote");
        CHECK_STREQ(i18n_pick(&t, "en"), "Media remote");
        CHECK_STREQ(i18n_pick(&t, "de"), "Media remote");
        CHECK_STREQ(i18n_pick(&t, "fr"), "Télécommande");
        CHECK_STREQ(i18n_pick(&t, "fr-BE"), "Télécommande");
        /* Replaces what was there; an untranslated text stays plain. */
        CHECK_INT(l10n_i18n(&t, "untranslated"), 0);
        CHECK_INT(t.n, 1);
        CHECK(t.v[0].lang == NULL);
        CHECK_STREQ(i18n_pick(&t, "fr"), "untranslated");
        i18n_done(&t);
}

int main(void)
{
        test_conversions_helper();
        test_catalog();
        test_lookup();
        test_i18n();
        return TESTS_RESULT();
}
