/* SPDX-License-Identifier: MIT */
/*
 * A strict YAML loader on top of libyaml's event API. Only the subset a configuration needs is
 * accepted: maps with scalar keys, sequences and scalars. Anything that makes a document mean
 * something other than what it looks like (anchors, aliases, tags, duplicate keys, several
 * documents) is an error, reported with a 1-based FILE:LINE:COL.
 */
#include "ynode.h"

#include <stdarg.h>
#include <stdio.h>
#include <yaml.h>

struct yparser {
        yaml_parser_t parser;
        const char *buf;
        size_t len;
        const char *file; /* the root's file_owned */
        struct diags *d;
        size_t d_start;    /* diagnostics before this parse */
        unsigned n_errors; /* reported by this parse */
        bool failed;       /* an error was reported: keep going, fail at the end */
};

/* Enough to fix a file in one go; bounds the work a hostile input can cause. */
#define YNODE_MAX_ERRORS 50

static void yaml_event_deletep(yaml_event_t *e)
{
        yaml_event_delete(e);
}
#define _cleanup_event_ _cleanup_(yaml_event_deletep)

static int yreport(struct yparser *p, unsigned line, unsigned col, const char *msg)
{
        p->failed = true;
        if (p->n_errors > YNODE_MAX_ERRORS)
                return -EINVAL;
        if (++p->n_errors > YNODE_MAX_ERRORS)
                msg = "too many errors, giving up";
        return diags_add(p->d, DIAG_ERROR, p->file, line, col, "%s", msg);
}

static int yerror_at(struct yparser *p, yaml_mark_t mark, const char *fmt, ...) _printf_(3, 4);
static int yerror_at(struct yparser *p, yaml_mark_t mark, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return yreport(p, (unsigned)mark.line + 1, (unsigned)mark.column + 1, msg);
}

/* Errors found at the end of a map (duplicates) come out of order: sort them by position.
 * Insertion sort: stable, and there are at most YNODE_MAX_ERRORS + 1 of them. */
static void sort_diags(struct yparser *p)
{
        struct diag *v = p->d->v;
        /* "too many errors" stays last. */
        size_t end = p->d->n - (p->n_errors > YNODE_MAX_ERRORS);

        for (size_t i = p->d_start + 1; i < end; i++) {
                struct diag t = v[i];
                size_t j = i;

                while (j > p->d_start && (v[j - 1].line > t.line ||
                                          (v[j - 1].line == t.line && v[j - 1].col > t.col))) {
                        v[j] = v[j - 1];
                        j--;
                }
                v[j] = t;
        }
}

/* Line and column (1-based, in characters) of a byte offset, for checks made outside libyaml. */
static void offset_to_pos(const char *buf, size_t off, unsigned *ret_line, unsigned *ret_col)
{
        unsigned line = 1, col = 1;

        for (size_t i = 0; i < off; i++) {
                if (buf[i] == '\n') {
                        line++;
                        col = 1;
                } else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
                        col++;
                }
        }
        *ret_line = line;
        *ret_col = col;
}

/* Decodes one UTF-8 sequence; returns its length or 0 if invalid (overlong, surrogate...). */
static size_t utf8_decode(const unsigned char *s, size_t left, uint32_t *ret)
{
        size_t len;
        uint32_t cp;

        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if ((s[0] & 0xe0) == 0xc0)
                len = 2, cp = s[0] & 0x1f;
        else if ((s[0] & 0xf0) == 0xe0)
                len = 3, cp = s[0] & 0x0f;
        else if ((s[0] & 0xf8) == 0xf0)
                len = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (len > left)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                return 0;
        *ret = cp;
        return len;
}

/* The characters YAML 1.1 allows in a stream (libyaml's reader applies the same rule). */
static bool yaml_char_is_allowed(uint32_t c)
{
        return c == 0x09 || c == 0x0a || c == 0x0d || (c >= 0x20 && c <= 0x7e) || c == 0x85 ||
               (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
               (c >= 0x10000 && c <= 0x10ffff);
}

/* Checked before libyaml sees the input, whose reader errors carry an offset but no mark. */
static int check_encoding(struct yparser *p)
{
        const unsigned char *s = (const unsigned char *)p->buf;
        unsigned line, col;
        size_t i = 0;

        while (i < p->len) {
                uint32_t c;
                size_t k = utf8_decode(s + i, p->len - i, &c);

                if (k == 0) {
                        offset_to_pos(p->buf, i, &line, &col);
                        return diags_add(p->d, DIAG_ERROR, p->file, line, col,
                                         "invalid UTF-8 byte 0x%02x", s[i]);
                }
                if (!yaml_char_is_allowed(c) && !(i == 0 && c == 0xfeff)) {
                        offset_to_pos(p->buf, i, &line, &col);
                        return diags_add(p->d, DIAG_ERROR, p->file, line, col,
                                         c == 0 ? "NUL byte not allowed"
                                                : "control character U+%04X not allowed",
                                         (unsigned)c);
                }
                i += k;
        }
        return 0;
}

static int report_yaml_error(struct yparser *p)
{
        const yaml_parser_t *y = &p->parser;
        unsigned line, col;

        switch (y->error) {
        case YAML_MEMORY_ERROR:
                return -ENOMEM;
        case YAML_READER_ERROR:
                offset_to_pos(p->buf, y->problem_offset < p->len ? y->problem_offset : p->len,
                              &line, &col);
                p->failed = true;
                return diags_add(p->d, DIAG_ERROR, p->file, line, col, "%s", strempty(y->problem));
        case YAML_NO_ERROR:
        case YAML_SCANNER_ERROR:
        case YAML_PARSER_ERROR:
        case YAML_COMPOSER_ERROR:
        case YAML_WRITER_ERROR:
        case YAML_EMITTER_ERROR:
                break;
        }
        if (y->context)
                return yerror_at(p, y->problem_mark, "%s (%s at line %zu, column %zu)",
                                 strempty(y->problem), y->context, y->context_mark.line + 1,
                                 y->context_mark.column + 1);
        return yerror_at(p, y->problem_mark, "%s", y->problem ? y->problem : "YAML syntax error");
}

static int next_event(struct yparser *p, yaml_event_t *e)
{
        if (p->n_errors > YNODE_MAX_ERRORS)
                return -EINVAL;
        if (!yaml_parser_parse(&p->parser, e))
                return report_yaml_error(p);
        return 0;
}

static struct ynode *ynode_new(struct yparser *p, enum ynode_type type, yaml_mark_t mark)
{
        struct ynode *n = zalloc(sizeof(*n));

        if (!n)
                return NULL;
        n->type = type;
        n->file = p->file;
        n->line = (unsigned)mark.line + 1;
        n->col = (unsigned)mark.column + 1;
        return n;
}

struct ynode *ynode_free(struct ynode *n)
{
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n; i++) {
                ynode_free(n->items[i]);
                if (n->keys)
                        ynode_free(n->keys[i]);
        }
        free(n->items);
        free(n->keys);
        free(n->scalar);
        free(n->file_owned);
        free(n);
        return NULL;
}

/* Anchors, aliases and tags change what a document means far from where it is read. */
static void check_node_props(struct yparser *p, const yaml_event_t *e, const yaml_char_t *anchor,
                             const yaml_char_t *tag)
{
        if (anchor)
                (void)yerror_at(p, e->start_mark, "anchors are not supported ('&%s')",
                                (const char *)anchor);
        if (tag)
                (void)yerror_at(p, e->start_mark, "tags are not supported ('%s')",
                                (const char *)tag);
}

static int parse_scalar(struct yparser *p, const yaml_event_t *e, struct ynode **ret)
{
        struct ynode *n;

        check_node_props(p, e, e->data.scalar.anchor, e->data.scalar.tag);
        /* Escapes in double-quoted scalars can produce a NUL that C strings cannot carry. */
        if (memchr(e->data.scalar.value, 0, e->data.scalar.length))
                return yerror_at(p, e->start_mark, "NUL character in scalar not allowed");
        n = ynode_new(p, YNODE_SCALAR, e->start_mark);
        if (!n)
                return -ENOMEM;
        n->scalar = strndup((const char *)e->data.scalar.value, e->data.scalar.length);
        if (!n->scalar) {
                free(n);
                return -ENOMEM;
        }
        n->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        *ret = n;
        return 0;
}

static int parse_node(struct yparser *p, const yaml_event_t *e, unsigned depth, struct ynode **ret);

static int append_child(struct ynode *parent, struct ynode *key, struct ynode *child)
{
        size_t n = parent->n;
        struct ynode **items, **keys;

        items = reallocarray(parent->items, n + 1, sizeof(*items));
        if (!items)
                return -ENOMEM;
        parent->items = items;
        if (parent->type == YNODE_MAP) {
                keys = reallocarray(parent->keys, n + 1, sizeof(*keys));
                if (!keys)
                        return -ENOMEM;
                parent->keys = keys;
                keys[n] = key;
                child->key = key->scalar;
        }
        items[n] = child;
        parent->n++;
        return 0;
}

/* Reads one node and adds it to parent. Returns 1 at the end of the collection. */
static int parse_child(struct yparser *p, struct ynode *parent, struct ynode *key, unsigned depth)
{
        _cleanup_event_ yaml_event_t e = {0};
        _cleanup_(ynode_freep) struct ynode *child = NULL;
        int r;

        r = next_event(p, &e);
        if (r < 0)
                return r;
        if (e.type == YAML_SEQUENCE_END_EVENT || e.type == YAML_MAPPING_END_EVENT)
                return 1;
        r = parse_node(p, &e, depth, &child);
        if (r < 0)
                return r;
        r = append_child(parent, key, child);
        if (r < 0)
                return r;
        child = NULL;
        return 0;
}

static int parse_sequence(struct yparser *p, struct ynode *seq, unsigned depth)
{
        for (;;) {
                int r = parse_child(p, seq, NULL, depth);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
}

static int key_cmp(const void *a, const void *b, void *userdata)
{
        struct ynode *const *keys = userdata;
        size_t i = *(const size_t *)a, j = *(const size_t *)b;
        int c = strcmp(keys[i]->scalar, keys[j]->scalar);

        if (c != 0)
                return c;
        return i < j ? -1 : i > j;
}

/* Sorting keeps this O(n log n): a 1 MiB document may hold a very large map. */
static int check_duplicate_keys(struct yparser *p, const struct ynode *map)
{
        _cleanup_free_ size_t *order = NULL, *first = NULL;

        if (map->n < 2)
                return 0;
        order = calloc(map->n, sizeof(size_t));
        first = calloc(map->n, sizeof(size_t));
        if (!order || !first)
                return -ENOMEM;
        for (size_t i = 0; i < map->n; i++)
                order[i] = first[i] = i;
        qsort_r(order, map->n, sizeof(size_t), key_cmp, map->keys);
        for (size_t i = 1; i < map->n; i++)
                if (streq(map->keys[order[i]]->scalar, map->keys[order[i - 1]]->scalar))
                        first[order[i]] = first[order[i - 1]];
        for (size_t i = 0; i < map->n; i++) {
                const struct ynode *k = map->keys[i], *f = map->keys[first[i]];
                _cleanup_free_ char *msg = NULL;

                if (first[i] == i)
                        continue;
                if (asprintf(&msg, "duplicate key '%s' (first defined at line %u)", k->scalar,
                             f->line) < 0 ||
                    yreport(p, k->line, k->col, msg) == -ENOMEM)
                        return -ENOMEM;
                if (p->n_errors > YNODE_MAX_ERRORS)
                        return -EINVAL;
        }
        return 0;
}

/* Reads a key; non-scalar keys are reported and dropped (their value too). Returns 1 at the end
 * of the map, 2 after a dropped entry. */
static int parse_key(struct yparser *p, unsigned depth, struct ynode **ret)
{
        _cleanup_event_ yaml_event_t e = {0};
        _cleanup_(ynode_freep) struct ynode *key = NULL, *value = NULL;
        _cleanup_event_ yaml_event_t v = {0};
        int r;

        r = next_event(p, &e);
        if (r < 0)
                return r;
        if (e.type == YAML_MAPPING_END_EVENT)
                return 1;
        r = parse_node(p, &e, depth, &key);
        if (r < 0)
                return r;
        if (key->type == YNODE_SCALAR) {
                *ret = TAKE_PTR(key);
                return 0;
        }
        (void)yerror_at(p, e.start_mark, "mapping keys must be scalars");
        r = next_event(p, &v);
        if (r < 0)
                return r;
        r = parse_node(p, &v, depth, &value);
        return r < 0 ? r : 2;
}

static int parse_mapping(struct yparser *p, struct ynode *map, unsigned depth)
{
        for (;;) {
                _cleanup_(ynode_freep) struct ynode *key = NULL;
                int r;

                r = parse_key(p, depth, &key);
                if (r < 0)
                        return r;
                if (r == 1)
                        break;
                if (r == 2)
                        continue;
                r = parse_child(p, map, key, depth);
                if (r < 0)
                        return r;
                key = NULL; /* owned by map now */
        }
        return check_duplicate_keys(p, map);
}

static int parse_collection(struct yparser *p, const yaml_event_t *e, unsigned depth,
                            struct ynode **ret)
{
        _cleanup_(ynode_freep) struct ynode *n = NULL;
        bool is_map = e->type == YAML_MAPPING_START_EVENT;
        int r;

        /* Fatal: stop reading at once so that pathological nesting costs nothing. */
        if (depth >= YNODE_MAX_DEPTH)
                return yerror_at(p, e->start_mark, "nesting deeper than %d levels",
                                 YNODE_MAX_DEPTH);
        if (is_map)
                check_node_props(p, e, e->data.mapping_start.anchor, e->data.mapping_start.tag);
        else
                check_node_props(p, e, e->data.sequence_start.anchor, e->data.sequence_start.tag);
        n = ynode_new(p, is_map ? YNODE_MAP : YNODE_SEQ, e->start_mark);
        if (!n)
                return -ENOMEM;
        r = is_map ? parse_mapping(p, n, depth + 1) : parse_sequence(p, n, depth + 1);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(n);
        return 0;
}

static int parse_node(struct yparser *p, const yaml_event_t *e, unsigned depth, struct ynode **ret)
{
        struct ynode *n;

        switch (e->type) {
        case YAML_SCALAR_EVENT:
                return parse_scalar(p, e, ret);
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
                return parse_collection(p, e, depth, ret);
        case YAML_ALIAS_EVENT:
                (void)yerror_at(p, e->start_mark, "aliases are not supported ('*%s')",
                                (const char *)e->data.alias.anchor);
                /* Stand in with a null so that the structure around it stays intact. */
                n = ynode_new(p, YNODE_SCALAR, e->start_mark);
                if (!n || !(n->scalar = strdup(""))) {
                        free(n);
                        return -ENOMEM;
                }
                n->plain = true;
                *ret = n;
                return 0;
        case YAML_NO_EVENT:
        case YAML_STREAM_START_EVENT:
        case YAML_STREAM_END_EVENT:
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                break;
        }
        return yerror_at(p, e->start_mark, "unexpected YAML event");
}

static int expect_event(struct yparser *p, yaml_event_type_t type, yaml_event_t *e)
{
        int r = next_event(p, e);
        if (r < 0)
                return r;
        if (e->type != type)
                return yerror_at(p, e->start_mark, "unexpected YAML event");
        return 0;
}

static int parse_document(struct yparser *p, const yaml_event_t *start, struct ynode **ret)
{
        _cleanup_event_ yaml_event_t e = {0}, end = {0};
        int r;

        if (start->data.document_start.tag_directives.start !=
            start->data.document_start.tag_directives.end)
                (void)yerror_at(p, start->start_mark, "%%TAG directives are not supported");
        r = next_event(p, &e);
        if (r < 0)
                return r;
        r = parse_node(p, &e, 0, ret);
        if (r < 0)
                return r;
        return expect_event(p, YAML_DOCUMENT_END_EVENT, &end);
}

/* An empty file, or a document that is only a null, is an empty map. */
static int make_root(struct yparser *p, struct ynode **root)
{
        if (*root && !ynode_is_null(*root))
                return 0;
        *root = ynode_free(*root);
        *root = ynode_new(p, YNODE_MAP, (yaml_mark_t){0});
        return *root ? 0 : -ENOMEM;
}

static int parse_stream(struct yparser *p, struct ynode **ret)
{
        _cleanup_event_ yaml_event_t start = {0}, e = {0}, extra = {0};
        _cleanup_(ynode_freep) struct ynode *root = NULL;
        int r;

        r = expect_event(p, YAML_STREAM_START_EVENT, &start);
        if (r < 0)
                return r;
        r = next_event(p, &e);
        if (r < 0)
                return r;
        if (e.type == YAML_DOCUMENT_START_EVENT) {
                r = parse_document(p, &e, &root);
                if (r < 0)
                        return r;
                r = next_event(p, &extra);
                if (r < 0)
                        return r;
                if (extra.type != YAML_STREAM_END_EVENT)
                        return yerror_at(p, extra.start_mark,
                                         "only one YAML document is allowed per file");
        } else if (e.type != YAML_STREAM_END_EVENT) {
                return yerror_at(p, e.start_mark, "unexpected YAML event");
        }
        r = make_root(p, &root);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(root);
        return 0;
}

int ynode_parse(const char *buf, size_t len, const char *file, struct ynode **ret, struct diags *d)
{
        _cleanup_free_ char *file_owned = NULL;
        struct ynode *root = NULL;
        struct yparser p = {.buf = buf, .len = len, .d = d, .d_start = d->n};
        int r;

        file_owned = strdup(strempty(file));
        if (!file_owned)
                return -ENOMEM;
        p.file = file_owned;
        if (len > YNODE_MAX_SIZE)
                return diags_add(d, DIAG_ERROR, p.file, 1, 1,
                                 "file too large (%zu bytes, limit %d)", len, YNODE_MAX_SIZE);
        r = check_encoding(&p);
        if (r < 0)
                return r;
        if (!yaml_parser_initialize(&p.parser))
                return -ENOMEM;
        yaml_parser_set_encoding(&p.parser, YAML_UTF8_ENCODING);
        yaml_parser_set_input_string(&p.parser, (const unsigned char *)buf, len);
        r = parse_stream(&p, &root);
        yaml_parser_delete(&p.parser);
        sort_diags(&p);
        if (r >= 0 && p.failed)
                r = -EINVAL;
        if (r < 0) {
                ynode_free(root);
                return r;
        }
        root->file_owned = TAKE_PTR(file_owned);
        *ret = root;
        return 0;
}
