/* SPDX-License-Identifier: MIT */
#pragma once

#include "diag.h"

/*
 * A YAML document loaded through libyaml's event API into a plain tree.
 * The loader is pure (no I/O) and strict: it rejects duplicate keys, anchors and aliases,
 * tags, nesting deeper than YNODE_MAX_DEPTH, non-scalar keys and input over YNODE_MAX_SIZE.
 */
#define YNODE_MAX_DEPTH 64
#define YNODE_MAX_SIZE  (1024 * 1024)

enum ynode_type { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
        enum ynode_type type;
        const char *file;     /* owned by the root (root->file_owned) */
        unsigned line, col;   /* 1-based */
        char *scalar;         /* YNODE_SCALAR: the value */
        bool plain;           /* YNODE_SCALAR: unquoted, so "null"/"~"/"" mean null */
        size_t n;             /* YNODE_MAP, YNODE_SEQ: number of children */
        struct ynode **items; /* children: sequence items or map values */
        struct ynode **keys;  /* YNODE_MAP: the key scalars, parallel to items */
        const char *key;      /* a map value's key (owned by the key node), for messages */
        char *file_owned;
};

/* Parses one document. On error returns -EINVAL with diagnostics added to d. */
int ynode_parse(const char *buf, size_t len, const char *file, struct ynode **ret, struct diags *d);
struct ynode *ynode_free(struct ynode *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ynode *, ynode_free)

/* Map lookup; NULL when absent or when map is not a map. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
/* True for an absent node or a plain null scalar ("", "~", "null", "Null", "NULL"). */
bool ynode_is_null(const struct ynode *n);

/* Typed accessors. Each reports "expected a ..." (prefixed with "key: " for a map value) with
 * the node's position and returns -EINVAL.
 * A null scalar is not a string, number or duration. ynode_bool() takes only unquoted
 * true/false/yes/no/on/off (any case): a quoted "yes" is a string. */
int ynode_expect(const struct ynode *n, enum ynode_type type, struct diags *d);
int ynode_string(const struct ynode *n, char **ret, struct diags *d);
int ynode_bool(const struct ynode *n, bool *ret, struct diags *d);
int ynode_uint(const struct ynode *n, uint64_t min, uint64_t max, uint64_t *ret, struct diags *d);
/* Signed variant: an optional '-' or '+' then digits, within [min, max]. */
int ynode_int(const struct ynode *n, int64_t min, int64_t max, int64_t *ret, struct diags *d);
int ynode_duration(const struct ynode *n, usec_t *ret, struct diags *d);
/* A duration within [min, max] (max USEC_INFINITY: no upper bound); outside, an error naming
 * the bounds and the value, "timeout: must be between 1ms and 1h, not '2h'". */
int ynode_duration_between(const struct ynode *n, usec_t min, usec_t max, usec_t *ret,
                           struct diags *d);
int ynode_size(const struct ynode *n, uint64_t *ret, struct diags *d);
/* A scalar or a sequence of scalars, as a strv (never NULL on success; null gives an empty one). */
int ynode_strv(const struct ynode *n, char ***ret, struct diags *d);
/* A list of names out of names[0..n_names) (at most 32) as a bit mask, bit i for names[i]; an
 * unknown one is an error "KEY: unknown WHAT 'x' (any of: a, b, ...)". *ret is only set on
 * success. */
int ynode_name_mask(const struct ynode *n, const char *key, const char *what,
                    const char *const *names, size_t n_names, unsigned *ret, struct diags *d);
/* Reports every key of map not in the NULL-terminated list allowed ("unknown key 'x'"). */
int ynode_check_keys(const struct ynode *map, const char *const *allowed, struct diags *d);
/* Adds an error at the node's position. Returns -EINVAL. */
int ynode_error(const struct ynode *n, struct diags *d, const char *fmt, ...) _printf_(3, 4);
int ynode_warning(const struct ynode *n, struct diags *d, const char *fmt, ...) _printf_(3, 4);
