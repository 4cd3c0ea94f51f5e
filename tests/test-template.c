/* SPDX-License-Identifier: MIT */
#include "template.h"
#include "tests.h"

static struct diags d;
static struct form *form;

static struct ynode *parse(const char *s)
{
        struct ynode *n = NULL;

        if (ynode_parse(s, strlen(s), "t.yaml", &n, &d) < 0)
                diags_print(&d, stderr);
        return n;
}

static void setup_form(void)
{
        struct ynode *n = parse("fields:\n"
                                "  - {var: unit}\n"
                                "  - {var: hosts, type: list-multi, options: [a, b, c]}\n"
                                "  - {var: my.field-2}\n"
                                "  - {type: fixed, default: Some text}\n");

        CHECK_INT(form_from_ynode(n, &form, &d), 0);
        ynode_free(n);
}

/* Checks the template held by "v" in yaml. */
static int check(const char *yaml, bool allow_multi)
{
        struct ynode *n = parse(yaml);
        const struct ynode *v = ynode_get(n, "v");
        int r = template_check(v->scalar, form, allow_multi, v, &d);

        ynode_free(n);
        return r;
}

static int error_at(unsigned line, unsigned col, const char *msg)
{
        int ok = d.n > 0 && d.v[d.n - 1].level == DIAG_ERROR && d.v[d.n - 1].line == line &&
                 d.v[d.n - 1].col == col && strstr(d.v[d.n - 1].msg, msg) &&
                 streq(d.v[d.n - 1].file, "t.yaml");
        if (!ok) {
                fprintf(stderr, "expected %u:%u '%s', got:\n", line, col, msg);
                diags_print(&d, stderr);
        }
        return ok;
}

static void test_check(void)
{
        size_t n_errors = d.n_errors;

        CHECK_INT(check("v: plain text", false), 0);
        CHECK_INT(check("v: ''", false), 0);
        CHECK_INT(
            check("v: '{unit} on {hosts} by {from} ({from_bare}) at {node} in {lang}'", false), 0);
        CHECK_INT(check("v: '{my.field-2}'", false), 0);
        CHECK_INT(check("v: '{{not a var}} {{'", false), 0);
        CHECK_INT(check("v: '{hosts...}'", true), 0);
        CHECK_INT(d.n_errors, n_errors);

        CHECK_INT(check("v: Hello {nope}", false), -EINVAL);
        CHECK(error_at(1, 10, "template references undeclared field 'nope'"));
        CHECK_INT(check("v: \"Hello {nope}\"", false), -EINVAL);
        CHECK(error_at(1, 11, "template references undeclared field 'nope'"));
        /* Several lines: only the node's position is known. */
        CHECK_INT(check("x: 1\nv: |\n  line one\n  {nope}\n", false), -EINVAL);
        CHECK(error_at(2, 4, "undeclared field 'nope'"));
        /* Every undeclared field is reported. */
        n_errors = d.n_errors;
        CHECK_INT(check("v: '{a} {unit} {b}'", false), -EINVAL);
        CHECK_INT(d.n_errors, n_errors + 2);

        CHECK_INT(check("v: 'x {unit'", false), -EINVAL);
        CHECK(error_at(1, 7, "unbalanced '{' in template"));
        CHECK_INT(check("v: 'x } y'", false), -EINVAL);
        CHECK(error_at(1, 7, "unbalanced '}'"));
        CHECK_INT(check("v: ab{unit}}", false), -EINVAL);
        CHECK(error_at(1, 12, "unbalanced '}'"));
        CHECK_INT(check("v: '{un it}'", false), -EINVAL);
        CHECK(error_at(1, 8, "invalid character in variable name in template"));
        CHECK_INT(check("v: 'a{}'", false), -EINVAL);
        CHECK(error_at(1, 6, "empty variable name"));
        CHECK_INT(check("v: '{...}'", true), -EINVAL);
        CHECK(error_at(1, 5, "empty variable name"));
        CHECK_INT(check("v: '{{{unit'", false), -EINVAL);
        CHECK(error_at(1, 7, "unbalanced '{'"));

        CHECK_INT(check("v: '{hosts...}'", false), -EINVAL);
        CHECK(error_at(1, 5, "'{hosts...}' is only allowed as a whole command argument"));
        CHECK_INT(check("v: '--host={hosts...}'", true), -EINVAL);
        CHECK(error_at(1, 12, "'{hosts...}' must be a whole argument"));
        CHECK_INT(check("v: '{hosts...} '", true), -EINVAL);
        CHECK_INT(check("v: '{nope...}'", true), -EINVAL);
        CHECK(error_at(1, 5, "undeclared field 'nope'"));

        /* No form: only the built-ins exist. */
        CHECK_INT(template_check("{from} {unit}", NULL, false, NULL, &d), -EINVAL);
        CHECK(d.v[d.n - 1].line == 0 && strstr(d.v[d.n - 1].msg, "'unit'"));
        CHECK(template_var_is_builtin("from_bare"));
        CHECK(!template_var_is_builtin("unit"));
}

static struct form_values values;
static const struct template_vars vars = {
    .values = &values,
    .from = "alice@example.org/phone",
    .from_bare = "alice@example.org",
    .node = "restart",
    .lang = "fr",
};

static void setup_values(void)
{
        char *unit[] = {(char *)"nginx; rm -rf /", NULL};
        char *hosts[] = {(char *)"a", (char *)"b c", (char *)"{unit}", NULL};
        char *none[] = {NULL};
        char *from[] = {(char *)"mallory@evil.example", NULL};

        CHECK_INT(form_values_set(&values, "unit", unit, false), 0);
        CHECK_INT(form_values_set(&values, "hosts", hosts, false), 0);
        CHECK_INT(form_values_set(&values, "none", none, false), 0);
        CHECK_INT(form_values_set(&values, "from", from, false), 0);
}

static void expect(const char *tpl, const char *want)
{
        char *s = NULL;

        CHECK_INT(template_expand(tpl, &vars, &s), 0);
        CHECK_STREQ(s, want);
        free(s);
}

static void test_expand(void)
{
        char *s = (char *)"untouched";

        expect("", "");
        expect("plain", "plain");
        expect("Restarting {unit}.", "Restarting nginx; rm -rf /.");
        expect("{hosts}", "a, b c, {unit}"); /* values are never expanded again */
        expect("{hosts...}", "a, b c, {unit}");
        expect("[{none}] [{missing}]", "[] []");
        expect("{from} {from_bare} {node} {lang}",
               "alice@example.org/phone alice@example.org restart fr");
        expect("{{literal}} {{{unit}}}", "{literal} {nginx; rm -rf /}");
        expect("}}", "}");
        CHECK_INT(template_expand("{unit", &vars, &s), -EINVAL);
        CHECK_INT(template_expand("a}b", &vars, &s), -EINVAL);
        CHECK_STREQ(s, "untouched");

        {
                const struct template_vars empty = {0};
                CHECK_INT(template_expand("<{from}{unit}{lang}>", &empty, &s), 0);
                CHECK_STREQ(s, "<>");
                free(s);
        }
}

static void test_expand_argv(void)
{
        char **argv = NULL;

        CHECK_INT(template_expand_argv("systemctl", &vars, &argv), 0);
        CHECK_INT(template_expand_argv("{hosts...}", &vars, &argv), 0);
        CHECK_INT(template_expand_argv("{none...}", &vars, &argv), 0);
        CHECK_INT(template_expand_argv("{missing...}", &vars, &argv), 0);
        CHECK_INT(template_expand_argv("--unit={unit}", &vars, &argv), 0);
        CHECK_INT(template_expand_argv("{hosts}", &vars, &argv), 0);
        CHECK_INT(template_expand_argv("", &vars, &argv), 0);
        CHECK_INT(template_expand_argv("{from...}", &vars, &argv), 0);
        CHECK_INT(strv_length(argv), 8);
        if (strv_length(argv) == 8) {
                CHECK_STREQ(argv[0], "systemctl");
                CHECK_STREQ(argv[1], "a");
                CHECK_STREQ(argv[2], "b c");
                CHECK_STREQ(argv[3], "{unit}");
                CHECK_STREQ(argv[4], "--unit=nginx; rm -rf /");
                CHECK_STREQ(argv[5], "a, b c, {unit}");
                CHECK_STREQ(argv[6], "");
                CHECK_STREQ(argv[7], "alice@example.org/phone"); /* built-ins win */
        }
        /* Errors leave argv alone. */
        CHECK_INT(template_expand_argv("x{hosts...}", &vars, &argv), -EINVAL);
        CHECK_INT(template_expand_argv("{hosts", &vars, &argv), -EINVAL);
        CHECK_INT(strv_length(argv), 8);
        strv_free(argv);

        /* Zero values from the start: an empty (but allocated) vector. */
        argv = NULL;
        CHECK_INT(template_expand_argv("{none...}", &vars, &argv), 0);
        CHECK_INT(strv_length(argv), 0);
        strv_free(argv);
}

int main(void)
{
        setup_form();
        setup_values();
        test_check();
        test_expand();
        test_expand_argv();
        form_values_done(&values);
        form_free(form);
        diags_done(&d);
        return TESTS_RESULT();
}
