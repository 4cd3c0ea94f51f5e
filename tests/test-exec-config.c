/* SPDX-License-Identifier: MIT */
/* The exec: configuration: defaults, every key, and every refusal with its position. */
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include "exec/exec-test.h"

#define FORM                                                                                       \
        "form:\n"                                                                                  \
        "  fields:\n"                                                                              \
        "    - {var: target, type: list-single, options: [home, www]}\n"                           \
        "    - {var: paths, type: text-multi}\n"                                                   \
        "    - {var: notes, type: text-multi}\n"                                                   \
        "    - {var: pw, type: text-private}\n"

static void test_defaults(void)
{
        struct fixture f;
        const struct exec_config *c;

        CHECK_INT(fixture_load(&f, "exec:\n  argv: [/bin/true]\n"), 0);
        c = f.cfg;
        CHECK(c != NULL);
        if (!c)
                return fixture_done(&f);
        CHECK_INT(strv_length(c->argv), 1);
        CHECK_STREQ(c->argv[0], "/bin/true");
        CHECK_INT(c->timeout, 30 * USEC_PER_SEC);
        CHECK_INT(c->kill_grace, 3 * USEC_PER_SEC);
        CHECK_STREQ(c->cwd, "/");
        CHECK(c->stdin_tpl == NULL);
        CHECK_INT(c->output, EXEC_OUTPUT_NOTE);
        CHECK_INT(c->max_output, 64 * 1024);
        CHECK_INT(c->max_concurrent, 1);
        CHECK(!c->detach);
        CHECK(!c->set_ids);
        CHECK_INT(c->n_env, 0);
        /* Running as root without user: is allowed, with a warning. */
        if (geteuid() == 0)
                CHECK(diags_contain(&f.d, DIAG_WARNING, "set user: to drop privileges"));
        CHECK_INT(f.d.n_errors, 0);
        fixture_done(&f);
}

/* Numbers and booleans are arguments like any other scalar. */
static void test_scalar_args(void)
{
        struct fixture f;
        const struct exec_config *c;

        CHECK_INT(fixture_load(&f, "exec:\n  argv: [/bin/echo, 60, true, -1.5, '']\n"), 0);
        c = f.cfg;
        CHECK(c && strv_length(c->argv) == 5);
        if (c && strv_length(c->argv) == 5) {
                CHECK_STREQ(c->argv[1], "60");
                CHECK_STREQ(c->argv[2], "true");
                CHECK_STREQ(c->argv[4], "");
        }
        fixture_done(&f);
}

static void test_all_keys(void)
{
        struct fixture f;
        const struct exec_config *c;
        struct passwd *pw = getpwnam("nobody");

        CHECK_INT(fixture_load(&f,
                               FORM "exec:\n"
                                    "  argv: [/bin/echo, --target, \"{target}\", \"{paths...}\", "
                                    "\"--x={from_bare}\"]\n"
                                    "  timeout: 200ms\n"
                                    "  kill_grace: 0s\n"
                                    "  env: {LANG: C.UTF-8, WHO: \"{from}\", PATH: /opt/bin}\n"
                                    "  cwd: /tmp\n"
                                    "  stdin: \"{notes}\"\n"
                                    "  output: table\n"
                                    "  max_output: 1MiB\n"
                                    "  max_concurrent: 3\n"
                                    "  detach: true\n"
                                    "  user: nobody\n"),
                  geteuid() == 0 && pw ? 0 : -EINVAL);
        c = f.cfg;
        if (!c) {
                fixture_done(&f);
                return;
        }
        CHECK_INT(strv_length(c->argv), 5);
        CHECK_STREQ(c->argv[3], "{paths...}");
        CHECK_INT(c->timeout, 200 * USEC_PER_MSEC);
        CHECK_INT(c->kill_grace, 0);
        CHECK_INT(c->n_env, 3);
        CHECK_STREQ(c->env[1].name, "WHO");
        CHECK_STREQ(c->env[1].value, "{from}");
        CHECK_STREQ(c->cwd, "/tmp");
        CHECK_STREQ(c->stdin_tpl, "{notes}");
        CHECK_INT(c->output, EXEC_OUTPUT_TABLE);
        CHECK_INT(c->max_output, 1024 * 1024);
        CHECK_INT(c->max_concurrent, 3);
        CHECK(c->detach);
        CHECK(c->set_ids);
        CHECK_INT(c->uid, pw->pw_uid);
        CHECK_INT(c->gid, pw->pw_gid);
        CHECK(c->n_groups >= 1);
        CHECK(!diags_contain(&f.d, DIAG_WARNING, "drop privileges"));
        CHECK_INT(f.d.n_errors, 0);
        fixture_done(&f);
}

/* Expects a refusal whose message holds needle, at line:col when given. */
static void expect_error(const char *yaml, const char *needle, unsigned line, unsigned col)
{
        struct fixture f;
        bool found = false;

        CHECK_INT(fixture_load(&f, "%s", yaml), -EINVAL);
        CHECK(f.cfg == NULL);
        for (size_t i = 0; i < f.d.n; i++) {
                const struct diag *g = &f.d.v[i];

                if (g->level != DIAG_ERROR || !strstr(g->msg, needle))
                        continue;
                found = true;
                if (line) {
                        CHECK_INT(g->line, line);
                        CHECK_INT(g->col, col);
                }
        }
        if (!found) {
                fprintf(stderr, "expected an error with '%s' for:\n%s", needle, yaml);
                diags_dump(&f.d);
                tests_failed++;
        }
        fixture_done(&f);
}

static void test_argv_errors(void)
{
        expect_error("exec:\n  timeout: 1s\n", "needs argv", 2, 3);
        expect_error("exec:\n  argv: []\n", "must not be empty", 2, 9);
        expect_error("exec:\n  argv: /bin/true\n", "expected", 2, 9);
        expect_error("exec:\n  argv: [true]\n", "must be an absolute path", 2, 10);
        expect_error("exec:\n  argv: [/etc/passwd, x]\n", "'/etc/passwd' is not executable", 2, 10);
        expect_error("exec:\n  argv: [/nonexistent/prog]\n", "No such file", 2, 10);
        expect_error("exec:\n  argv: [/tmp]\n", "not a regular file", 2, 10);
        expect_error(FORM "exec:\n  argv: [\"{target}\"]\n", "literal path", 0, 0);
        expect_error(FORM "exec:\n  argv: [/bin/echo, \"{nope}\"]\n", "undeclared field 'nope'", 0,
                     0);
        expect_error(FORM "exec:\n  argv: [/bin/echo, \"--p={paths...}\"]\n",
                     "must be a whole argument", 0, 0);
        expect_error("exec:\n  argv: [/bin/echo, \"{unbalanced\"]\n", "in template", 0, 0);
}

static void test_other_errors(void)
{
        expect_error("exec: /bin/true\n", "expected", 1, 7);
        expect_error("exec:\n  argv: [/bin/true]\n  tiemout: 1s\n", "unknown key 'tiemout'", 3, 3);
        expect_error("exec:\n  argv: [/bin/true]\n  timeout: 0s\n",
                     "timeout: must be more than 0 and at most 7d, not '0s'", 3, 12);
        expect_error("exec:\n  argv: [/bin/true]\n  timeout: soon\n", "invalid duration", 3, 12);
        expect_error("exec:\n  argv: [/bin/true]\n  kill_grace: 1h\n",
                     "kill_grace: must be at most 10m, not '1h'", 3, 15);
        expect_error("exec:\n  argv: [/bin/true]\n  output: html\n", "note, text or table", 3, 11);
        expect_error("exec:\n  argv: [/bin/true]\n  max_output: 0\n", "max_output", 3, 15);
        expect_error("exec:\n  argv: [/bin/true]\n  max_output: 17MiB\n", "max_output", 3, 15);
        expect_error("exec:\n  argv: [/bin/true]\n  max_concurrent: 0\n", "", 3, 19);
        expect_error("exec:\n  argv: [/bin/true]\n  detach: \"yes\"\n", "", 3, 11);
        expect_error("exec:\n  argv: [/bin/true]\n  cwd: tmp\n", "must be an absolute path", 3, 8);
        expect_error("exec:\n  argv: [/bin/true]\n  env: [A]\n", "expected", 3, 8);
        expect_error("exec:\n  argv: [/bin/true]\n  env: {lower: x}\n", "invalid environment", 3,
                     9);
        expect_error("exec:\n  argv: [/bin/true]\n  env: {1A: x}\n", "invalid environment", 0, 0);
        expect_error("exec:\n  argv: [/bin/true]\n  env: {ADHOCD_X: x}\n", "set by the agent", 0,
                     0);
        expect_error(FORM "exec:\n  argv: [/bin/true]\n  env: {P: \"{paths...}\"}\n",
                     "only allowed as a whole command argument", 0, 0);
        expect_error(FORM "exec:\n  argv: [/bin/true]\n  stdin: \"{nope}\"\n", "undeclared", 0, 0);
        if (geteuid() == 0) {
                expect_error("exec:\n  argv: [/bin/true]\n  user: no-such-user-here\n",
                             "unknown user", 3, 9);
                expect_error("exec:\n  argv: [/bin/true]\n  group: no-such-group-here\n",
                             "unknown group", 3, 10);
        }
}

/* user:/group: need root; checked as an unprivileged effective user when we are root. */
static void test_ids_without_root(void)
{
        if (geteuid() != 0) {
                expect_error("exec:\n  argv: [/bin/true]\n  user: nobody\n", "need the agent", 3,
                             9);
                return;
        }
        CHECK_INT(setresuid(0, 65534, 0), 0);
        expect_error("exec:\n  argv: [/bin/true]\n  user: nobody\n",
                     "need the agent to run as root", 3, 9);
        expect_error("exec:\n  argv: [/bin/true]\n  group: 0\n", "need the agent", 3, 10);
        CHECK_INT(setresuid(0, 0, 0), 0);
}

static void test_group_only(void)
{
        struct fixture f;
        const struct exec_config *c;

        if (geteuid() != 0)
                return;
        CHECK_INT(fixture_load(&f, "exec:\n  argv: [/bin/true]\n  group: \"12345\"\n"), 0);
        c = f.cfg;
        if (c) {
                CHECK(c->set_ids);
                CHECK_INT(c->uid, (uid_t)-1);
                CHECK_INT(c->gid, 12345);
                CHECK_INT(c->n_groups, 0);
        }
        /* Still root: still warned. */
        CHECK(diags_contain(&f.d, DIAG_WARNING, "drop privileges"));
        fixture_done(&f);
        /* A numeric uid without a passwd entry needs group:. */
        expect_error("exec:\n  argv: [/bin/true]\n  user: \"54321\"\n", "set group: too", 3, 9);
}

static void test_field_env_names(void)
{
        struct fixture f;
        _cleanup_free_ char *a = exec_field_env_name("a-b.c"), *b = exec_field_env_name("Zz9");

        CHECK_STREQ(a, "ADHOCD_FIELD_A_B_C");
        CHECK_STREQ(b, "ADHOCD_FIELD_ZZ9");
        CHECK_INT(fixture_load(&f, "form:\n  fields: [{var: a-b}, {var: a_b}]\n"
                                   "exec:\n  argv: [/bin/true]\n"),
                  0);
        CHECK(diags_contain(&f.d, DIAG_WARNING, "ADHOCD_FIELD_A_B"));
        fixture_done(&f);
}

int main(void)
{
        test_defaults();
        test_scalar_args();
        test_all_keys();
        test_argv_errors();
        test_other_errors();
        test_ids_without_root();
        test_group_only();
        test_field_env_names();
        return TESTS_RESULT();
}
