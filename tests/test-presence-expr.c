/* SPDX-License-Identifier: MIT */
/* The "when:" expression language: every operator, precedence, errors with positions and
 * evaluation with unknown values. */
#include "presence/presence-internal.h"
#include "tests.h"

static struct presence_values vals;

static void set(const char *name, const char *text)
{
        CHECK_INT(presence_values_set(&vals, name, text), 0);
}

/* Parses and evaluates; -1 on a parse error. */
static int eval(const char *s)
{
        struct presence_expr *e = NULL;
        const char *msg = NULL;
        size_t off = 0;
        int r;

        if (presence_expr_parse(s, &e, &off, &msg) < 0) {
                fprintf(stderr, "unexpected parse error in '%s' at %zu: %s\n", s, off, msg);
                return -1;
        }
        r = presence_expr_eval(e, presence_values_lookup, &vals);
        presence_expr_free(e);
        return r;
}

static void check_format(const char *s, const char *expected)
{
        struct presence_expr *e = NULL, *e2 = NULL;
        char *f = NULL, *f2 = NULL;
        const char *msg = NULL;
        size_t off = 0;

        CHECK_INT(presence_expr_parse(s, &e, &off, &msg), 0);
        if (!e)
                return;
        CHECK_INT(presence_expr_format(e, &f), 0);
        CHECK_STREQ(f, expected);
        /* The canonical form reads back as the same tree. */
        CHECK_INT(presence_expr_parse(f, &e2, &off, &msg), 0);
        if (e2) {
                CHECK_INT(presence_expr_format(e2, &f2), 0);
                CHECK_STREQ(f2, f);
        }
        free(f);
        free(f2);
        presence_expr_free(e);
        presence_expr_free(e2);
}

static void check_error(const char *s, size_t offset, const char *msg_part)
{
        struct presence_expr *e = NULL;
        const char *msg = NULL;
        size_t off = 9999;

        CHECK_INT(presence_expr_parse(s, &e, &off, &msg), -EINVAL);
        CHECK(!e);
        if (off != offset)
                fprintf(stderr, "'%s': error '%s' at %zu, expected %zu\n", s, strempty(msg), off,
                        offset);
        CHECK_INT(off, offset);
        CHECK(msg && strstr(msg, msg_part));
        if (msg && !strstr(msg, msg_part))
                fprintf(stderr, "'%s': message '%s' lacks '%s'\n", s, msg, msg_part);
}

static void test_operators(void)
{
        set("load1", "2.50");
        set("zero", "0");
        set("neg", "-3");

        CHECK_INT(eval("load1 < 3"), 1);
        CHECK_INT(eval("load1 < 2.5"), 0);
        CHECK_INT(eval("load1 <= 2.5"), 1);
        CHECK_INT(eval("load1 <= 2.49"), 0);
        CHECK_INT(eval("load1 > 2"), 1);
        CHECK_INT(eval("load1 > 2.5"), 0);
        CHECK_INT(eval("load1 >= 2.5"), 1);
        CHECK_INT(eval("load1 >= 2.51"), 0);
        CHECK_INT(eval("load1 == 2.5"), 1);
        CHECK_INT(eval("load1 == 2.50"), 1);
        CHECK_INT(eval("load1 == 2"), 0);
        CHECK_INT(eval("load1 != 2"), 1);
        CHECK_INT(eval("load1 != 2.5"), 0);
        CHECK_INT(eval("neg < -2"), 1);
        CHECK_INT(eval("-4 < neg"), 1);
        CHECK_INT(eval("3 > 2"), 1);
        CHECK_INT(eval("load1<3"), 1); /* no spaces needed */

        CHECK_INT(eval("load1 > 2 and zero == 0"), 1);
        CHECK_INT(eval("load1 > 2 and zero == 1"), 0);
        CHECK_INT(eval("load1 > 3 and zero == 0"), 0);
        CHECK_INT(eval("load1 > 3 or zero == 0"), 1);
        CHECK_INT(eval("load1 > 2 or zero == 1"), 1);
        CHECK_INT(eval("load1 > 3 or zero == 1"), 0);
        CHECK_INT(eval("not load1 > 3"), 1);
        CHECK_INT(eval("not load1 > 2"), 0);
        CHECK_INT(eval("not not load1 > 2"), 1);
}

static void test_precedence(void)
{
        /* not binds tighter than and, and tighter than or; both chains are left-associative. */
        check_format("a > 1 or b > 1 and c > 1", "((a > 1) or ((b > 1) and (c > 1)))");
        check_format("a > 1 and b > 1 or c > 1", "(((a > 1) and (b > 1)) or (c > 1))");
        check_format("not a > 1 and b > 1", "((not (a > 1)) and (b > 1))");
        check_format("not (a > 1 and b > 1)", "(not ((a > 1) and (b > 1)))");
        check_format("(a > 1 or b > 1) and c > 1", "(((a > 1) or (b > 1)) and (c > 1))");
        check_format("a > 1 and b > 1 and c > 1", "(((a > 1) and (b > 1)) and (c > 1))");
        check_format("((a)) >= (2.50)", "(a >= 2.50)");
        check_format("disk_used_pct:/ >= 95 or failed_units > 0",
                     "((disk_used_pct:/ >= 95) or (failed_units > 0))");
        check_format("disk_used_pct:/var/lib>=95", "(disk_used_pct:/var/lib >= 95)");
        check_format("x != -1.5", "(x != -1.5)");

        /* Precedence changes results: false or (true and false) vs (false or true) and false. */
        set("t", "1");
        set("f", "0");
        CHECK_INT(eval("f == 1 or t == 1 and f == 1"), 0);
        CHECK_INT(eval("(f == 1 or t == 1) and f == 1"), 0);
        CHECK_INT(eval("t == 1 or t == 1 and f == 1"), 1);
        CHECK_INT(eval("(t == 1 or t == 1) and f == 1"), 0);
        CHECK_INT(eval("not f == 1 and t == 1"), 1);
        CHECK_INT(eval("not (f == 1 or t == 1)"), 0);
}

static void test_names(void)
{
        set("disk_used_pct:/", "96");
        set("disk_used_pct:/home", "12");
        set("failed_units", "0");

        CHECK_INT(eval("disk_used_pct:/ >= 95 or failed_units > 0"), 1);
        CHECK_INT(eval("disk_used_pct:/home >= 95 or failed_units > 0"), 0);
        CHECK_INT(eval("(disk_used_pct:/home<20)"), 1);
}

static void test_unknown(void)
{
        set("known", "5");
        set("failed", NULL);  /* a probe that failed: '?' */
        set("word", "hello"); /* a script value that is no number */

        /* Any comparison with an unknown value is false, whatever the operator. */
        CHECK_INT(eval("failed > 1"), 0);
        CHECK_INT(eval("failed < 1"), 0);
        CHECK_INT(eval("failed == 0"), 0);
        CHECK_INT(eval("failed != 0"), 0);
        CHECK_INT(eval("absent >= 0"), 0);
        CHECK_INT(eval("word == 0"), 0);
        CHECK_INT(eval("1 < failed"), 0);
        /* and/or/not work on the comparisons' results. */
        CHECK_INT(eval("failed > 1 or known == 5"), 1);
        CHECK_INT(eval("failed > 1 and known == 5"), 0);
        CHECK_INT(eval("not failed > 1"), 1);
}

static void test_errors(void)
{
        check_error("", 0, "empty expression");
        check_error("   ", 3, "empty expression");
        check_error("load1", 0, "expected a condition");
        check_error("(load1)", 0, "expected a condition");
        check_error("42", 0, "expected a condition");
        check_error("load1 >", 7, "ends too early");
        check_error("load1 > > 2", 8, "expected a number");
        check_error("load1 > 2 and", 13, "ends too early");
        check_error("load1 > 2 and 3", 14, "'and' needs a condition");
        check_error("load1 or x > 1", 0, "'or' needs a condition");
        check_error("not load1", 4, "'not' needs a condition");
        check_error("1 < x < 3", 6, "do not chain");
        check_error("(x > 1) < 3", 0, "cannot compare a condition");
        check_error("3 < (x > 1)", 4, "cannot compare a condition");
        check_error("(x > 1", 6, "expected ')'");
        check_error("x > 1)", 5, "unbalanced ')'");
        check_error(")", 0, "unexpected ')'");
        check_error("x > 1 y > 2", 6, "expected 'and', 'or' or the end");
        check_error("x = 1", 2, "write '=='");
        check_error("x > 1 && y > 1", 6, "write 'and'");
        check_error("x > 1 || y > 1", 6, "write 'or'");
        check_error("!x > 1", 0, "write 'not'");
        check_error("x > 1 AND y > 1", 6, "lower case");
        check_error("x > 1.", 4, "invalid number");
        check_error("x > 1.2.3", 4, "invalid number");
        check_error("x > 12abc", 4, "invalid number");
        check_error("x > 1e5", 4, "invalid number");
        check_error("load.1 > 2", 4, "invalid character in a name");
        check_error("x > $y", 4, "unexpected character");
        check_error("x:y > 1", 1, "unexpected character");
        check_error("x > - 1", 4, "unexpected character");
        check_error("x > 1 and (y > 1 or (z > 1)", 27, "expected ')'");

        /* Nesting and length are bounded, for a stack that does not grow with the input. */
        {
                char deep[200] = "";
                for (int i = 0; i < 40; i++)
                        strcat(deep, "(");
                strcat(deep, "x > 1");
                for (int i = 0; i < 40; i++)
                        strcat(deep, ")");
                check_error(deep, 32, "nested too deeply");
        }
        {
                char many_nots[300] = "";
                for (int i = 0; i < 40; i++)
                        strcat(many_nots, "not ");
                strcat(many_nots, "x > 1");
                check_error(many_nots, 128, "nested too deeply");
        }
        {
                char *longer = malloc(PRESENCE_EXPR_MAX_LEN + 2);
                memset(longer, ' ', PRESENCE_EXPR_MAX_LEN + 1);
                longer[PRESENCE_EXPR_MAX_LEN + 1] = '\0';
                check_error(longer, PRESENCE_EXPR_MAX_LEN, "too long");
                free(longer);
        }
}

/* Errors through the YAML file: line and column of the offending character. */
static void check_yaml_error(const char *yaml, unsigned line, unsigned col, const char *msg_part)
{
        struct ynode *root = NULL;
        struct presence_expr *e = NULL;
        struct diags d = {0};
        const struct ynode *when;

        CHECK_INT(ynode_parse(yaml, strlen(yaml), "test.yaml", &root, &d), 0);
        when = ynode_get(ynode_get(root, "rule"), "when");
        CHECK(when != NULL);
        CHECK_INT(presence_expr_from_ynode(when, &e, &d), -EINVAL);
        CHECK_INT(d.n, 1);
        if (d.n == 1) {
                CHECK_STREQ(d.v[0].file, "test.yaml");
                CHECK_INT(d.v[0].line, line);
                CHECK_INT(d.v[0].col, col);
                CHECK(strstr(d.v[0].msg, msg_part) != NULL);
                if (d.v[0].line != line || d.v[0].col != col || !strstr(d.v[0].msg, msg_part))
                        diags_print(&d, stderr);
        }
        presence_expr_free(e);
        ynode_free(root);
        diags_done(&d);
}

static void test_yaml_positions(void)
{
        /* Plain scalar: column of the character itself. */
        check_yaml_error("x: 1\nrule:\n  when: load1 >= 4 and\n", 3, 23, "ends too early");
        check_yaml_error("rule:\n  when: load1 = 4\n", 2, 15, "write '=='");
        /* Quoted: the opening quote is skipped. */
        check_yaml_error("rule: {when: \"disk_used_pct:/ >= 95 or x\"}\n", 1, 40, "'or' needs");
        check_yaml_error("rule: {when: \"disk_used_pct:/ >= 95 or x > \"}\n", 1, 44,
                         "ends too early");
        check_yaml_error("rule:\n  when: 'a > 1 && b > 2'\n", 2, 16, "write 'and'");
        /* Columns count characters, not bytes. */
        check_yaml_error("rule: {é: 1, when: \"x > 1 oops\"}\n", 1, 27, "expected 'and'");
        /* A block scalar: the node's position, and the character within the expression. */
        check_yaml_error("rule:\n  when: |\n    a > 1 and\n    b >\n", 2, 9, "at character 15");
        /* Not a scalar at all. */
        check_yaml_error("rule:\n  when: [a > 1]\n", 2, 9, "expected an expression");
}

int main(void)
{
        test_operators();
        test_precedence();
        test_names();
        test_unknown();
        test_errors();
        test_yaml_positions();
        presence_values_done(&vals);
        return TESTS_RESULT();
}
