/* SPDX-License-Identifier: MIT */
/*
 * The "when:" expressions of presence.show rules. The whole language:
 *
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := not ("and" not)*
 *   not     := "not" not | cmp
 *   cmp     := operand [("<" | "<=" | ">" | ">=" | "==" | "!=") operand]
 *   operand := NUMBER | NAME | "(" expr ")"
 *   NUMBER  := -?[0-9]+(\.[0-9]+)?
 *   NAME    := [A-Za-z_][A-Za-z0-9_]* [":" "/" path]      e.g. load1, disk_used_pct:/home
 *
 * Comparisons take values and give conditions; and/or/not take conditions. That is checked
 * when parsing, so "load1 and 3" or "not load1" are errors, as is "1 < x < 3" (comparisons
 * do not chain). A comparison with an unknown value ('?') is false.
 */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "presence-internal.h"

enum token_type {
        TOK_END,
        TOK_NUMBER,
        TOK_NAME,
        TOK_CMP,
        TOK_AND,
        TOK_OR,
        TOK_NOT,
        TOK_LPAREN,
        TOK_RPAREN,
};

struct token {
        enum token_type type;
        enum presence_cmp op;
        size_t offset, len;
};

struct parser {
        const char *s;
        struct token tok; /* the current token */
        unsigned depth;
        size_t err_offset;
        const char *err_msg;
};

static int parse_error(struct parser *p, size_t offset, const char *msg)
{
        p->err_offset = offset;
        p->err_msg = msg;
        return -EINVAL;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_word_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.';
}

static const struct {
        const char *text;
        enum presence_cmp op;
} cmp_ops[] = {
    /* Two-character operators first, so that "<=" is not read as "<". */
    {"<=", PRESENCE_LE}, {">=", PRESENCE_GE}, {"==", PRESENCE_EQ},
    {"!=", PRESENCE_NE}, {"<", PRESENCE_LT},  {">", PRESENCE_GT},
};

/* Operators of other languages, rejected with a hint. */
static const struct {
        const char *text;
        const char *msg;
} foreign_ops[] = {
    {"&&", "'&&' is not an operator: write 'and'"},
    {"||", "'||' is not an operator: write 'or'"},
    {"=", "'=' is not an operator: write '=='"},
    {"!", "'!' is not an operator: write 'not'"},
};

static int lex_word(struct parser *p, size_t start)
{
        static const struct {
                const char *word;
                enum token_type type;
        } keywords[] = {{"and", TOK_AND}, {"or", TOK_OR}, {"not", TOK_NOT}};
        size_t len = presence_name_span(p->s + start);

        if (is_word_char(p->s[start + len]))
                return parse_error(p, start + len, "invalid character in a name");
        p->tok = (struct token){.type = TOK_NAME, .offset = start, .len = len};
        for (size_t i = 0; i < ELEMENTSOF(keywords); i++) {
                if (strlen(keywords[i].word) != len)
                        continue;
                if (memcmp(p->s + start, keywords[i].word, len) == 0) {
                        p->tok.type = keywords[i].type;
                        return 0;
                }
                if (strncasecmp(p->s + start, keywords[i].word, len) == 0)
                        return parse_error(p, start,
                                           "'and', 'or' and 'not' are written in lower case");
        }
        return 0;
}

static int lex_number(struct parser *p, size_t start)
{
        size_t end = start + 1;

        while (is_word_char(p->s[end]))
                end++;
        if (!presence_number_is_valid(p->s + start, end - start))
                return parse_error(p, start, "invalid number");
        p->tok = (struct token){.type = TOK_NUMBER, .offset = start, .len = end - start};
        return 0;
}

static int lex_next(struct parser *p)
{
        size_t i = p->tok.offset + p->tok.len;
        char c;

        while (is_space(p->s[i]))
                i++;
        c = p->s[i];
        if (c == '\0') {
                p->tok = (struct token){.type = TOK_END, .offset = i};
                return 0;
        }
        if ((c >= '0' && c <= '9') || (c == '-' && p->s[i + 1] >= '0' && p->s[i + 1] <= '9'))
                return lex_number(p, i);
        if (presence_name_span(p->s + i) > 0)
                return lex_word(p, i);
        if (c == '(' || c == ')') {
                p->tok = (struct token){
                    .type = c == '(' ? TOK_LPAREN : TOK_RPAREN, .offset = i, .len = 1};
                return 0;
        }
        for (size_t k = 0; k < ELEMENTSOF(cmp_ops); k++) {
                size_t len = strlen(cmp_ops[k].text);
                if (strncmp(p->s + i, cmp_ops[k].text, len) == 0) {
                        p->tok = (struct token){
                            .type = TOK_CMP, .op = cmp_ops[k].op, .offset = i, .len = len};
                        return 0;
                }
        }
        for (size_t k = 0; k < ELEMENTSOF(foreign_ops); k++)
                if (strncmp(p->s + i, foreign_ops[k].text, strlen(foreign_ops[k].text)) == 0)
                        return parse_error(p, i, foreign_ops[k].msg);
        return parse_error(p, i, "unexpected character");
}

static struct presence_expr *node_new(enum presence_expr_kind kind, size_t offset)
{
        struct presence_expr *e = zalloc(sizeof(*e));

        if (e) {
                e->kind = kind;
                e->offset = offset;
        }
        return e;
}

struct presence_expr *presence_expr_free(struct presence_expr *e)
{
        if (!e)
                return NULL;
        presence_expr_free(e->a);
        presence_expr_free(e->b);
        free(e->text);
        free(e);
        return NULL;
}

static bool is_condition(const struct presence_expr *e)
{
        switch (e->kind) {
        case PRESENCE_EXPR_NUMBER:
        case PRESENCE_EXPR_NAME:
                return false;
        case PRESENCE_EXPR_CMP:
        case PRESENCE_EXPR_AND:
        case PRESENCE_EXPR_OR:
        case PRESENCE_EXPR_NOT:
                break;
        }
        return true;
}

static int parse_or(struct parser *p, struct presence_expr **ret);

static int parse_operand(struct parser *p, struct presence_expr **ret)
{
        const struct token t = p->tok;
        _cleanup_(presence_expr_freep) struct presence_expr *e = NULL;
        int r;

        switch (t.type) {
        case TOK_NUMBER:
                e = node_new(PRESENCE_EXPR_NUMBER, t.offset);
                if (!e)
                        return -ENOMEM;
                e->number = presence_number_parse(p->s + t.offset, t.len);
                if (!(e->text = strndup(p->s + t.offset, t.len)))
                        return -ENOMEM;
                break;
        case TOK_NAME:
                e = node_new(PRESENCE_EXPR_NAME, t.offset);
                if (!e || !(e->text = strndup(p->s + t.offset, t.len)))
                        return -ENOMEM;
                break;
        case TOK_LPAREN:
                if (++p->depth > PRESENCE_EXPR_MAX_DEPTH)
                        return parse_error(p, t.offset, "expression nested too deeply");
                r = lex_next(p);
                if (r < 0)
                        return r;
                r = parse_or(p, &e);
                if (r < 0)
                        return r;
                if (p->tok.type != TOK_RPAREN)
                        return parse_error(p, p->tok.offset, "expected ')'");
                p->depth--;
                e->offset = t.offset; /* errors about the group point at its '(' */
                break;
        case TOK_END:
                return parse_error(p, t.offset, "expression ends too early");
        case TOK_RPAREN:
                return parse_error(p, t.offset, "unexpected ')'");
        case TOK_CMP:
        case TOK_AND:
        case TOK_OR:
        case TOK_NOT:
                return parse_error(p, t.offset, "expected a number, a value name or '('");
        }
        r = lex_next(p);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(e);
        return 0;
}

static int parse_cmp(struct parser *p, struct presence_expr **ret)
{
        _cleanup_(presence_expr_freep) struct presence_expr *a = NULL, *b = NULL;
        struct presence_expr *e;
        struct token op;
        int r;

        r = parse_operand(p, &a);
        if (r < 0)
                return r;
        if (p->tok.type != TOK_CMP) {
                *ret = TAKE_PTR(a);
                return 0;
        }
        op = p->tok;
        if (is_condition(a))
                return parse_error(p, a->offset, "cannot compare a condition");
        r = lex_next(p);
        if (r < 0)
                return r;
        r = parse_operand(p, &b);
        if (r < 0)
                return r;
        if (is_condition(b))
                return parse_error(p, b->offset, "cannot compare a condition");
        if (p->tok.type == TOK_CMP)
                return parse_error(p, p->tok.offset, "comparisons do not chain: use 'and'");
        e = node_new(PRESENCE_EXPR_CMP, a->offset);
        if (!e)
                return -ENOMEM;
        e->op = op.op;
        e->a = TAKE_PTR(a);
        e->b = TAKE_PTR(b);
        *ret = e;
        return 0;
}

static int parse_not(struct parser *p, struct presence_expr **ret)
{
        _cleanup_(presence_expr_freep) struct presence_expr *a = NULL;
        struct presence_expr *e;
        size_t offset = p->tok.offset;
        int r;

        if (p->tok.type != TOK_NOT)
                return parse_cmp(p, ret);
        if (++p->depth > PRESENCE_EXPR_MAX_DEPTH)
                return parse_error(p, offset, "expression nested too deeply");
        r = lex_next(p);
        if (r < 0)
                return r;
        r = parse_not(p, &a);
        if (r < 0)
                return r;
        p->depth--;
        if (!is_condition(a))
                return parse_error(p, a->offset, "'not' needs a condition, such as 'x > 1'");
        e = node_new(PRESENCE_EXPR_NOT, offset);
        if (!e)
                return -ENOMEM;
        e->a = TAKE_PTR(a);
        *ret = e;
        return 0;
}

/* Left-associative chain of "and" (over parse_not) or "or" (over parse_and). */
static int parse_chain(struct parser *p, enum token_type tok, enum presence_expr_kind kind,
                       int (*sub)(struct parser *, struct presence_expr **),
                       struct presence_expr **ret)
{
        _cleanup_(presence_expr_freep) struct presence_expr *a = NULL;
        int r;

        r = sub(p, &a);
        if (r < 0)
                return r;
        while (p->tok.type == tok) {
                _cleanup_(presence_expr_freep) struct presence_expr *b = NULL;
                const char *msg = kind == PRESENCE_EXPR_AND
                                      ? "'and' needs a condition on each side, such as 'x > 1'"
                                      : "'or' needs a condition on each side, such as 'x > 1'";
                struct presence_expr *e;

                if (!is_condition(a))
                        return parse_error(p, a->offset, msg);
                r = lex_next(p);
                if (r < 0)
                        return r;
                r = sub(p, &b);
                if (r < 0)
                        return r;
                if (!is_condition(b))
                        return parse_error(p, b->offset, msg);
                e = node_new(kind, a->offset);
                if (!e)
                        return -ENOMEM;
                e->a = TAKE_PTR(a);
                e->b = TAKE_PTR(b);
                a = e;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

static int parse_and(struct parser *p, struct presence_expr **ret)
{
        return parse_chain(p, TOK_AND, PRESENCE_EXPR_AND, parse_not, ret);
}

static int parse_or(struct parser *p, struct presence_expr **ret)
{
        return parse_chain(p, TOK_OR, PRESENCE_EXPR_OR, parse_and, ret);
}

int presence_expr_parse(const char *s, struct presence_expr **ret, size_t *ret_offset,
                        const char **ret_msg)
{
        _cleanup_(presence_expr_freep) struct presence_expr *e = NULL;
        struct parser p = {.s = s};
        int r;

        if (strlen(s) > PRESENCE_EXPR_MAX_LEN)
                r = parse_error(&p, PRESENCE_EXPR_MAX_LEN, "expression too long");
        else
                r = lex_next(&p);
        if (r >= 0 && p.tok.type == TOK_END)
                r = parse_error(&p, p.tok.offset, "empty expression");
        if (r >= 0)
                r = parse_or(&p, &e);
        if (r >= 0 && p.tok.type != TOK_END)
                r = parse_error(&p, p.tok.offset,
                                p.tok.type == TOK_RPAREN ? "unbalanced ')'"
                                                         : "expected 'and', 'or' or the end");
        if (r >= 0 && !is_condition(e))
                r = parse_error(&p, e->offset, "expected a condition, such as 'load1 > 4'");
        if (r == -EINVAL) {
                *ret_offset = p.err_offset;
                *ret_msg = p.err_msg;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(e);
        return 0;
}

int presence_expr_from_ynode(const struct ynode *n, struct presence_expr **ret, struct diags *d)
{
        const char *msg = NULL;
        size_t off = 0;
        unsigned line, col;
        int r;

        if (!n || n->type != YNODE_SCALAR || ynode_is_null(n))
                return ynode_error(n, d, "expected an expression, such as \"load1 >= 4\"");
        r = presence_expr_parse(n->scalar, ret, &off, &msg);
        if (r != -EINVAL)
                return r;
        presence_scalar_pos(n, n->scalar, off, &line, &col);
        /* Without an exact column, say where in the expression. */
        if (strchr(n->scalar, '\n'))
                r = diags_add(d, DIAG_ERROR, n->file, line, col,
                              "%s (at character %zu of the expression)", msg, off + 1);
        else
                r = diags_add(d, DIAG_ERROR, n->file, line, col, "%s", msg);
        return r == -ENOMEM ? r : -EINVAL;
}

static bool compare(enum presence_cmp op, double a, double b)
{
        switch (op) {
        case PRESENCE_LT:
                return a < b;
        case PRESENCE_LE:
                return a <= b;
        case PRESENCE_GT:
                return a > b;
        case PRESENCE_GE:
                return a >= b;
        case PRESENCE_EQ:
                return a == b;
        case PRESENCE_NE:
                return a != b;
        }
        return false;
}

static bool operand_value(const struct presence_expr *e, presence_lookup_t lookup, void *userdata,
                          double *ret)
{
        if (e->kind == PRESENCE_EXPR_NUMBER) {
                *ret = e->number;
                return true;
        }
        return e->kind == PRESENCE_EXPR_NAME && lookup(e->text, ret, userdata);
}

bool presence_expr_eval(const struct presence_expr *e, presence_lookup_t lookup, void *userdata)
{
        double a, b;

        switch (e->kind) {
        case PRESENCE_EXPR_CMP:
                /* Unknown is not "below" or "above" anything: the comparison does not hold. */
                if (!operand_value(e->a, lookup, userdata, &a) ||
                    !operand_value(e->b, lookup, userdata, &b))
                        return false;
                return compare(e->op, a, b);
        case PRESENCE_EXPR_AND:
                return presence_expr_eval(e->a, lookup, userdata) &&
                       presence_expr_eval(e->b, lookup, userdata);
        case PRESENCE_EXPR_OR:
                return presence_expr_eval(e->a, lookup, userdata) ||
                       presence_expr_eval(e->b, lookup, userdata);
        case PRESENCE_EXPR_NOT:
                return !presence_expr_eval(e->a, lookup, userdata);
        case PRESENCE_EXPR_NUMBER:
        case PRESENCE_EXPR_NAME:
                break; /* not a condition: rejected by the parser */
        }
        return false;
}

int presence_expr_foreach_name(const struct presence_expr *e,
                               int (*fn)(const struct presence_expr *name_node, void *userdata),
                               void *userdata)
{
        int r;

        if (!e)
                return 0;
        if (e->kind == PRESENCE_EXPR_NAME)
                return fn(e, userdata);
        r = presence_expr_foreach_name(e->a, fn, userdata);
        if (r < 0)
                return r;
        return presence_expr_foreach_name(e->b, fn, userdata);
}

static const char *cmp_text(enum presence_cmp op)
{
        for (size_t i = 0; i < ELEMENTSOF(cmp_ops); i++)
                if (cmp_ops[i].op == op)
                        return cmp_ops[i].text;
        return "?";
}

static int format_append(char **buf, const char *fmt, ...) _printf_(2, 3);
static int format_append(char **buf, const char *fmt, ...)
{
        _cleanup_free_ char *piece = NULL;
        char *n;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&piece, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if (asprintf(&n, "%s%s", strempty(*buf), piece) < 0)
                return -ENOMEM;
        free(*buf);
        *buf = n;
        return 0;
}

static int format_node(const struct presence_expr *e, char **buf)
{
        int r;

        switch (e->kind) {
        case PRESENCE_EXPR_NUMBER:
        case PRESENCE_EXPR_NAME:
                return format_append(buf, "%s", e->text);
        case PRESENCE_EXPR_NOT:
                r = format_append(buf, "(not ");
                if (r >= 0)
                        r = format_node(e->a, buf);
                return r < 0 ? r : format_append(buf, ")");
        case PRESENCE_EXPR_CMP:
        case PRESENCE_EXPR_AND:
        case PRESENCE_EXPR_OR:
                break;
        }
        r = format_append(buf, "(");
        if (r >= 0)
                r = format_node(e->a, buf);
        if (r >= 0)
                r = format_append(buf, " %s ",
                                  e->kind == PRESENCE_EXPR_CMP   ? cmp_text(e->op)
                                  : e->kind == PRESENCE_EXPR_AND ? "and"
                                                                 : "or");
        if (r >= 0)
                r = format_node(e->b, buf);
        return r < 0 ? r : format_append(buf, ")");
}

int presence_expr_format(const struct presence_expr *e, char **ret)
{
        _cleanup_free_ char *buf = NULL;
        int r;

        r = format_node(e, &buf);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}
