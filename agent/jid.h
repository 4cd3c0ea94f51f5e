/* SPDX-License-Identifier: MIT */
#pragma once

#include "util.h"

/* JID syntax (RFC 7622, without full PRECIS): pure helpers, no libstrophe needed. */
struct jid {
        char *local;    /* NULL when absent */
        char *domain;   /* lower-cased */
        char *resource; /* NULL when absent */
};

/* Parses and validates a JID; -EINVAL on bad syntax (empty parts, forbidden characters,
 * parts over 1023 bytes, invalid UTF-8). */
int jid_parse(const char *s, struct jid *ret);
void jid_done(struct jid *j);
bool jid_is_valid(const char *s) _pure_;
/* Newly allocated bare JID ("local@domain" or "domain"), domain lower-cased; NULL on error. */
char *jid_bare(const char *s);
/* Newly allocated full JID in normal form (domain lower-cased, trailing dot stripped); NULL on
 * error. */
char *jid_normalize(const char *s);
/* Newly allocated domain part; NULL on error. */
char *jid_domain(const char *s);
/* True when the bare parts of a and b are equal (local and domain case-insensitively; any
 * resources are ignored). */
bool jid_bare_equal(const char *a, const char *b) _pure_;
/* Matches a bare JID against a pattern: a bare JID, or "*@domain". */
bool jid_match(const char *pattern, const char *bare) _pure_;
/* Checks a policy pattern: a bare JID or "*@domain". */
bool jid_pattern_is_valid(const char *pattern) _pure_;
