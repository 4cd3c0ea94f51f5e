/* SPDX-License-Identifier: MIT */
/* The systemd feature's pure parts: its section, the allow-list, texts and error notes. */
#include <stdlib.h>
#include <unistd.h>

#include "systemd/systemd-internal.h"
#include "policy-helpers.h"

static struct diags d;

static struct sysd_config *parse(const char *yaml)
{
        return tests_parse_section(&systemd_feature, yaml, &d);
}

static bool has(enum diag_level level, const char *msg)
{
        return tests_has_diag(&d, level, NULL, 0, 0, msg);
}

static void test_defaults(void)
{
        struct sysd_config *c = parse("{allow: admins, units: [nginx.service, 'app-*.service']}");

        CHECK(c != NULL);
        if (!c)
                return;
        CHECK_INT(d.n, 0);
        CHECK_STREQ(c->bus, "system");
        CHECK_INT(c->job_timeout, 90 * USEC_PER_SEC);
        CHECK_INT(c->journal_lines, 20);
        CHECK(c->journal_dir == NULL);
        for (int v = 0; v < _SYSD_VERB_MAX; v++)
                CHECK(sysd_config_has_verb(c, v));
        CHECK(sysd_config_confirms(c, SYSD_VERB_STOP) &&
              sysd_config_confirms(c, SYSD_VERB_RESTART));
        CHECK(!sysd_config_confirms(c, SYSD_VERB_START) &&
              !sysd_config_confirms(c, SYSD_VERB_STATUS));
        CHECK(sysd_config_allows_unit(c, "nginx.service"));
        CHECK(sysd_config_allows_unit(c, "app-web.service"));
        CHECK(sysd_config_allows_unit(c, "app-worker@2.service"));
        CHECK(!sysd_config_allows_unit(c, "nginx.socket"));
        CHECK(!sysd_config_allows_unit(c, "sshd.service"));
        CHECK(!sysd_config_allows_unit(c, "app-.service/../x"));
        CHECK(!sysd_config_allows_unit(c, "app-x.service; rm"));
        CHECK(!sysd_config_allows_unit(c, ""));
        CHECK(!sysd_config_allows_unit(c, NULL));
        systemd_feature.free_cfg(c);
}

static void test_values(void)
{
        struct sysd_config *c = parse("{allow: admins, bus: 'unix:path=/tmp/x', units: ['*'],"
                                      " verbs: [status, restart], confirm: [restart],"
                                      " job_timeout: 2s, journal_lines: 0, journal_dir: /j}");

        CHECK(c != NULL);
        if (!c)
                return;
        CHECK_STREQ(c->bus, "unix:path=/tmp/x");
        CHECK(sysd_config_has_verb(c, SYSD_VERB_STATUS) &&
              sysd_config_has_verb(c, SYSD_VERB_RESTART));
        CHECK(!sysd_config_has_verb(c, SYSD_VERB_STOP) &&
              !sysd_config_has_verb(c, SYSD_VERB_START));
        CHECK(sysd_config_confirms(c, SYSD_VERB_RESTART) &&
              !sysd_config_confirms(c, SYSD_VERB_STOP));
        CHECK_INT(c->job_timeout, 2 * USEC_PER_SEC);
        CHECK_INT(c->journal_lines, 0);
        CHECK_STREQ(c->journal_dir, "/j");
        systemd_feature.free_cfg(c);
}

static void test_errors(void)
{
        CHECK(parse("{allow: admins}") == NULL && has(DIAG_ERROR, "units: is required"));
        CHECK(parse("{allow: admins, units: ['a b']}") == NULL &&
              has(DIAG_ERROR, "'a b' is not a glob"));
        CHECK(parse("{allow: admins, units: [x.service], verbs: [kill]}") == NULL &&
              has(DIAG_ERROR, "unknown verb 'kill'"));
        CHECK(parse("{allow: admins, units: [x.service], confirm: [status]}") == NULL &&
              has(DIAG_ERROR, "status only reads"));
        CHECK(parse("{allow: admins, units: [x.service], bus: nowhere}") == NULL &&
              has(DIAG_ERROR, "bus: must be system"));
        CHECK(parse("{allow: admins, units: [x.service], job_timeout: 0s}") == NULL &&
              has(DIAG_ERROR, "job_timeout"));
        CHECK(parse("{allow: admins, units: [x.service], journal_lines: 1000}") == NULL);
        CHECK(parse("{allow: admins, units: [x.service], journal_dir: rel}") == NULL &&
              has(DIAG_ERROR, "absolute path"));
        CHECK(parse("{allow: admins, units: [x.service], colour: red}") == NULL);
        struct sysd_config *c = parse("{units: [x.service]}");
        CHECK(c != NULL && has(DIAG_WARNING, "no allow"));
        systemd_feature.free_cfg(c);
}

static void test_texts(void)
{
        _cleanup_free_ char *a = sysd_text_clean("plain", 300);
        _cleanup_free_ char *b = sysd_text_clean("bell\a and\nnewline", 300);
        _cleanup_free_ char *cut = sysd_text_clean("abcdef", 3);
        _cleanup_free_ char *bad = sysd_text_clean("\xff", 10);
        sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_ACCESS_DENIED, "Access denied");
        sd_bus_error i = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                                 "Interactive authentication required.");
        sd_bus_error n = SD_BUS_ERROR_MAKE_CONST("org.freedesktop.systemd1.NoSuchUnit", "no");
        _cleanup_free_ char *te = sysd_error_text("nginx.service", SYSD_VERB_RESTART, &e, NULL);
        _cleanup_free_ char *ti = sysd_error_text("nginx.service", SYSD_VERB_STOP, &i, NULL);
        _cleanup_free_ char *tn = sysd_error_text("gone.service", SYSD_VERB_START, &n, "en");

        CHECK_STREQ(a, "plain");
        CHECK_STREQ(b, "bell\xef\xbf\xbd and\xef\xbf\xbdnewline");
        CHECK_STREQ(cut, "abc");
        CHECK_STREQ(bad, "\xef\xbf\xbd");
        CHECK(te && strstr(te, "permission denied") && strstr(te, "50-adhocd.rules") &&
              strstr(te, "restart on nginx.service"));
        CHECK(ti && strstr(ti, "InteractiveAuthorizationRequired") && strstr(ti, "stop on"));
        CHECK_STREQ(tn, "gone.service does not exist (any more).");
}

/* The notes in the requester's language: French for "fr", the D-Bus error name as it is. */
static void test_texts_french(void)
{
        sd_bus_error n = SD_BUS_ERROR_MAKE_CONST("org.freedesktop.systemd1.NoSuchUnit", "no");
        sd_bus_error o = SD_BUS_ERROR_MAKE_CONST("org.example.Odd", "odd thing");
        _cleanup_free_ char *tn = sysd_error_text("gone.service", SYSD_VERB_START, &n, "fr");
        _cleanup_free_ char *to = sysd_error_text("a.service", SYSD_VERB_STOP, &o, "fr-BE");
        _cleanup_free_ char *td = sysd_error_text("a.service", SYSD_VERB_STOP, &o, "de");

        CHECK_STREQ(tn, "gone.service n'existe pas (ou plus).");
        CHECK_STREQ(to, "systemd a refusé l'opération stop sur a.service : org.example.Odd : odd "
                        "thing");
        CHECK_STREQ(td, "systemd refused to stop a.service: org.example.Odd: odd thing");
        CHECK_STREQ(l10n("fr", sysd_verb_question(SYSD_VERB_RESTART)), "Redémarrer {unit} ?");
        CHECK_STREQ(l10n("fr", sysd_verb_title(SYSD_VERB_STATUS)), "État des services");
        CHECK(sysd_verb_question(SYSD_VERB_STATUS) == NULL);
}

static void test_journal_empty(void)
{
        char dir[] = "/tmp/test-journal-XXXXXX";
        char **lines = NULL;

        CHECK(mkdtemp(dir) != NULL);
        CHECK_INT(sysd_journal_tail(dir, "nginx.service", 5, &lines), 0);
        CHECK(lines == NULL);
        CHECK_INT(sysd_journal_tail(dir, "nginx.service", 0, &lines), 0);
        CHECK(lines == NULL);
        rmdir(dir);
}

int main(void)
{
        test_defaults();
        test_values();
        test_errors();
        test_texts();
        test_texts_french();
        test_journal_empty();
        diags_done(&d);
        return TESTS_RESULT();
}
