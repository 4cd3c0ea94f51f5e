/* SPDX-License-Identifier: MIT */
#pragma once

#include <regex.h>
#include <strophe.h>

#include "i18n.h"

/* XEP-0004 data forms with XEP-0122 validation. Definitions come from the policy;
 * parsing and validation are pure so that they can be fuzzed. */

#define NS_XDATA          "jabber:x:data"
#define NS_XDATA_VALIDATE "http://jabber.org/protocol/xdata-validate"

/* Limits on what a requester may submit. */
#define FORM_MAX_FIELDS     64
#define FORM_MAX_VALUES     256
#define FORM_MAX_VALUE_SIZE 16384
#define FORM_MAX_VAR_SIZE   256  /* bytes in a submitted var */
#define FORM_MAX_LINES      1024 /* lines in one text-multi field, after splitting */

enum form_field_type {
        FORM_FIELD_BOOLEAN,
        FORM_FIELD_FIXED,
        FORM_FIELD_HIDDEN,
        FORM_FIELD_JID_MULTI,
        FORM_FIELD_JID_SINGLE,
        FORM_FIELD_LIST_MULTI,
        FORM_FIELD_LIST_SINGLE,
        FORM_FIELD_TEXT_MULTI,
        FORM_FIELD_TEXT_PRIVATE,
        FORM_FIELD_TEXT_SINGLE,
        _FORM_FIELD_TYPE_MAX,
};

enum form_datatype {
        FORM_DT_STRING, /* xs:string, the default */
        FORM_DT_INTEGER,
        FORM_DT_INT,
        FORM_DT_LONG,
        FORM_DT_SHORT,
        FORM_DT_BYTE,
        FORM_DT_UNSIGNED_INT,
        FORM_DT_NON_NEGATIVE_INTEGER,
        FORM_DT_POSITIVE_INTEGER,
        FORM_DT_DECIMAL,
        FORM_DT_DOUBLE,
        FORM_DT_BOOLEAN,
        FORM_DT_DATE,
        FORM_DT_DATETIME,
        FORM_DT_TIME,
        FORM_DT_ANYURI,
        FORM_DT_LANGUAGE,
        _FORM_DT_MAX,
};

const char *form_field_type_to_string(enum form_field_type t) _pure_;
int form_field_type_from_string(const char *s) _pure_; /* -EINVAL if unknown */
const char *form_datatype_to_string(enum form_datatype t) _pure_;
int form_datatype_from_string(const char *s) _pure_;

struct form_option {
        char *value;
        struct i18n label; /* empty: the value is shown */
};

struct form_field {
        char *var; /* NULL only for fixed */
        enum form_field_type type;
        struct i18n label;
        struct i18n desc;
        bool required;
        char **defaults; /* strv; for fixed: the text lines */
        struct form_option *options;
        size_t n_options;
        struct {
                enum form_datatype datatype;
                char *min, *max; /* XEP-0122 <range>; NULL when open */
                char *regex;     /* POSIX extended, anchored as a whole-value match */
                regex_t compiled;
                bool has_regex;
        } validate;
};

struct form {
        struct i18n title;
        struct i18n instructions;
        struct form_field *fields;
        size_t n_fields;
};

/* Loads "form: {title, instructions, fields: [...]}" from the policy. */
int form_from_ynode(const struct ynode *n, struct form **ret, struct diags *d);
struct form *form_free(struct form *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct form *, form_free)
const struct form_field *form_find_field(const struct form *f, const char *var);
/* Compiles regex (POSIX extended) into f->validate and sets has_regex; -EINVAL if it does not
 * compile. Definitions must compile without REG_NOSUB: whole-value matching needs offsets. */
int form_field_set_regex(struct form_field *f, const char *regex);
/* For forms built by code (plugins): appends a field of type with var (NULL: none) and a plain
 * label (NULL: none); NULL when out of memory. */
struct form_field *form_add_field(struct form *f, enum form_field_type type, const char *var,
                                  const char *label);
/* Appends an option (value and plain label) to a list field. */
int form_field_add_option(struct form_field *f, const char *value, const char *label);

/* XEP-0122 datatypes, usable by the policy loader to check ranges and defaults. */
/* Lexical check of value against dt (XML Schema lexical space; no range, no regex). */
bool form_datatype_check(enum form_datatype dt, const char *value) _pure_;
/* True for datatypes with an order (numbers, dates, times), to which a <range> applies. */
bool form_datatype_is_ordered(enum form_datatype dt) _pure_;
/* Compares two lexically valid values of an ordered datatype; integers and decimals exactly,
 * whatever their length. Sets *ret to <0, 0 or >0; -EINVAL for invalid values or an unordered
 * datatype, -EDOM when the values are not comparable (NaN). */
int form_datatype_compare(enum form_datatype dt, const char *a, const char *b, int *ret);

/* Submitted or validated values: var -> list of values. */
struct form_value {
        char *var;
        char **values; /* strv, never NULL after validation (may be empty) */
        bool secret;   /* text-private: never logged */
};

struct form_values {
        struct form_value *v;
        size_t n;
};

void form_values_done(struct form_values *vals);
const struct form_value *form_values_find(const struct form_values *vals, const char *var);
/* First value of var or NULL. */
const char *form_values_first(const struct form_values *vals, const char *var);
/* Sets (replacing) var to a copy of values. */
int form_values_set(struct form_values *vals, const char *var, char *const *values, bool secret);
int form_values_copy(const struct form_values *src, struct form_values *ret);

enum form_submit_type { FORM_SUBMIT, FORM_CANCEL };

/* Parses an <x xmlns='jabber:x:data'/> from a requester. Only type submit and cancel are
 * accepted. Duplicate vars, too many fields or values and oversized values are rejected. */
int form_parse_submit(xmpp_stanza_t *x, enum form_submit_type *ret_type, struct form_values *ret,
                      char **ret_error);
/* Same, with the error message in lang (l10n()). */
int form_parse_submit_lang(xmpp_stanza_t *x, const char *lang, enum form_submit_type *ret_type,
                           struct form_values *ret, char **ret_error);

/* Validates submitted values against a definition. Returns 0 with clean values (defaults
 * applied, hidden fields taken from the definition, unknown vars dropped, booleans
 * normalised to "1"/"0", jid-multi de-duplicated), or -EINVAL with ret_var naming the first
 * offending field and ret_error a human-readable reason in English. */
int form_validate(const struct form *def, const struct form_values *submitted,
                  struct form_values *ret_clean, char **ret_var, char **ret_error);
/* Same, with error messages in lang (l10n()) naming the field by its label in lang. */
int form_validate_lang(const struct form *def, const char *lang,
                       const struct form_values *submitted, struct form_values *ret_clean,
                       char **ret_var, char **ret_error);
/* Validates one value against a field's datatype, range and regex (no list/required checks). */
int form_check_value(const struct form_field *f, const char *value, char **ret_error);

/* Builds <x type='form'> for lang, with values pre-filled from prefill (or defaults). Titles,
 * instructions and fixed values are split at newlines into several elements/fields. */
xmpp_stanza_t *form_build(xmpp_ctx_t *ctx, const struct form *f, const char *lang,
                          const struct form_values *prefill);

/* A result: free fields and optionally one table. */
struct form_result_field {
        char *var; /* may be NULL for fixed */
        char *label;
        enum form_field_type type;
        char **values;
};

struct form_result {
        char *title;
        struct form_result_field *fields;
        size_t n_fields;
        /* <reported> columns and <item> rows; each row has n_columns values. */
        struct form_result_field *columns;
        size_t n_columns;
        char ***rows;
        size_t n_rows;
};

struct form_result *form_result_new(void);
struct form_result *form_result_free(struct form_result *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct form_result *, form_result_free)
/* Sets (replacing) the title; NULL removes it. */
int form_result_set_title(struct form_result *r, const char *title);
/* var may be NULL only for fixed fields; values may be NULL (no values). */
int form_result_add_field(struct form_result *r, const char *var, const char *label,
                          enum form_field_type type, char *const *values);
int form_result_add_column(struct form_result *r, const char *var, const char *label);
/* Adds a row; values has n_columns entries (NULL entries become empty values). */
int form_result_add_row(struct form_result *r, const char *const *values);
/* True without fields and rows (columns alone do not count). */
bool form_result_is_empty(const struct form_result *r) _pure_;
/* Builds <x type='result'>; NULL if r is empty (clients treat any form as something to fill). */
xmpp_stanza_t *form_result_build(xmpp_ctx_t *ctx, const struct form_result *r);
